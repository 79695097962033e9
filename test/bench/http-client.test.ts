// The bench's lean HTTP client: requests pipelined on one keep-alive connection (written together
// when sent in one turn) are all answered, in order, with their own bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LeanHttpConnection } from '../../host/bench/http-client.ts';

test('twenty requests pipelined in one turn, then two more: each answered in order with its own body', async (t) => {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const answer = JSON.stringify({ method: request.method, path: request.url, echo: body });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const connection = await LeanHttpConnection.open(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  t.after(() => connection.close());

  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => connection.post(`/p/${i}`, JSON.stringify({ i, text: 'héllo' }))));
  assert.deepEqual(
    answers.map((a) => JSON.parse(a)),
    Array.from({ length: 20 }, (_, i) => ({ method: 'POST', path: `/p/${i}`, echo: JSON.stringify({ i, text: 'héllo' }) })),
  );
  assert.deepEqual(JSON.parse(await connection.get('/chain')), { method: 'GET', path: '/chain', echo: '' });
  assert.deepEqual(JSON.parse(await connection.post('/last', 'x')), { method: 'POST', path: '/last', echo: 'x' });
});
