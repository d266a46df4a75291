/**
 * The replica module of data-parallel training (`workers > 1`): each worker rebuilds the
 * run's SwAV step from the configuration, as `parallel.swavProgram`. Its initial values
 * are replaced by the run's (fresh or resumed) before the first step.
 */
import { defineReplica, swavProgram } from '../parallel/index.js';
import { optimizerOf, scheduleOf, swavConfigOf } from './recipe.js';
import type { ReplicaArg } from './stepper.js';

export default defineReplica((arg: ReplicaArg) =>
  swavProgram({ config: swavConfigOf(arg.config, arg.channels), optimizer: optimizerOf(arg.config, scheduleOf(arg.config, arg.steps)) }),
);
