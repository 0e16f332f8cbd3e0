export { createDependencies, createNodes, createNodesV2, type SpecwrightPluginOptions } from './plugin';
