export { VERSION } from '../version';
export { stats } from './stats';
export { fetchKernelCmd } from './fetch-kernel';
export { check } from './check';
export { graph } from './graph';
export { rulesCmd } from './rules';
export { cacheCmd } from './cache';
