/**
 * `@portcullis/sdk/node`: the Node platform (key file, encrypted records, pinned TLS).
 */
export { type NodePlatformOptions, nodePlatform } from './node-platform.ts';
