/**
 * `scipy.special`: jax.scipy.special's functions on float32 arrays (docs/scipy.md lists each
 * with its measured accuracy against SciPy). Arguments may be arrays or JS numbers.
 */
export { type Axis, logSoftmax, logsumexp, softmax } from './special-logsumexp.js';
export { entr, expit, klDiv, logit, relEntr, xlog1py, xlogy } from './special-entropy.js';
export { erf, erfc, erfinv, logNdtr, ndtr, ndtri } from './special-ndtr.js';
export { beta, betaln, comb, digamma, factorial, gamma, gammaln, gammasgn, loggamma, multigammaln, poch, polygamma, zeta } from './special-gamma.js';
export { boxcox, boxcox1p } from './special-boxcox.js';
export { i0, i0e, i1, i1e } from './special-bessel.js';
export { exp1, expi, spence } from './special-expi.js';
export { gammainc, gammaincc } from './special-gammainc.js';
export { betainc } from './special-betainc.js';
export { bernoulli } from './special-bernoulli.js';
export { dawsn, erfcx, expn } from './special-erfcx.js';
export { besselJn, lpmn, lpmnValues } from './special-recurrence.js';
export { fresnel, owensT, sici } from './special-trig-integrals.js';
export { hyp1f1 } from './special-hyp.js';
