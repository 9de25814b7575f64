// `npm run playground`: build (cached) and serve the browser playground on
// 127.0.0.1. PORT picks the port (default 5180; 0 = any free port). The first
// stdout line is the URL, which the browser test reads.
import { buildPlayground } from './build.mjs';
import { servePlayground } from './serve.mjs';

const port = process.env.PORT === undefined || process.env.PORT === '' ? 5180 : Number(process.env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got '${process.env.PORT}'`);
  process.exit(2);
}

// Build output goes to stderr so stdout starts with the URL.
const log = console.log;
console.log = (...args) => console.error(...args);
const dist = await buildPlayground();
console.log = log;

const server = await servePlayground(dist, port);
const address = server.address();
console.log(`Policy Studio playground: http://127.0.0.1:${address.port}/`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  // closeAllConnections: an open page keeps keep-alive sockets that would hold close() forever.
  process.on(signal, () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
}
