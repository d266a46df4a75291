/** `scipy.stats`: jax.scipy.stats's distributions, each a namespace of functions (logpdf, pdf, cdf, ...) taking `loc` / `scale` where SciPy does. */
export * as bernoulli from './bernoulli.js';
export * as beta from './beta.js';
export * as binom from './binom.js';
export * as cauchy from './cauchy.js';
export * as chi2 from './chi2.js';
export * as dirichlet from './dirichlet.js';
export * as expon from './expon.js';
export * as gamma from './gamma.js';
export * as geom from './geom.js';
export * as laplace from './laplace.js';
export * as logistic from './logistic.js';
export * as multivariateNormal from './multivariate-normal.js';
export * as norm from './norm.js';
export * as poisson from './poisson.js';
export * as t from './t.js';
export * as uniform from './uniform.js';
