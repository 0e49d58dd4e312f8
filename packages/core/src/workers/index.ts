export type { MessageEndpoint, SerializedError, WorkerRequest, WorkerResponse } from './protocol.js';
export { collectTransferables, deserializeError, serializeError } from './protocol.js';
export { WorkerClient, exposeHandlers } from './rpc.js';
export type { CallOptions, HandlerContext, WorkerHandler, WorkerHandlers } from './rpc.js';
export { WorkerPool } from './pool.js';
export type { MapOptions, PoolProgress, WorkerPoolOptions } from './pool.js';
export { webWorkerEndpoint, exposeWebWorker, createWebWorkerPool } from './web.js';
export type { WebWorkerLike, WebWorkerPoolOptions } from './web.js';
