// The HTTP API of membership services (fastify). Fabric served its CAs over gRPC (ECAP, TCAP,
// TLSCAP…); weft's peers and CLI already speak HTTP+JSON to each other's REST APIs, so the CA does
// too: one small JSON API, no protobuf service definitions to keep in step. Answers are JSON;
// errors are {"Error": "<text>"} with the CaError's status, as the peer's REST API does.
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { CaError, type CertificateAuthority } from './certificate-authority.ts';

/** A CA request is a few keys and signatures; nothing legitimate comes near this. */
const CA_BODY_BYTES_MAX = 64 * 1024;

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

export function buildCaServer(ca: CertificateAuthority, options: { logger?: boolean } = {}): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: CA_BODY_BYTES_MAX, routerOptions: { maxParamLength: 128 } });

  app.setNotFoundHandler((_request, reply) => send(reply, 404, { Error: 'Membership services endpoint not found.' }));
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    if (error instanceof CaError) return send(reply, error.status, { Error: error.message });
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return send(reply, status, { Error: error.message });
  });

  const body = (raw: unknown): never => raw as never;
  const post = (path: string, handler: (request: never) => Promise<unknown>): void => {
    app.post(path, async (request, reply) => {
      if (typeof request.body !== 'object' || request.body === null) throw new CaError(400, 'The request body must be a JSON object.');
      return send(reply, 200, await handler(body(request.body)));
    });
  };

  app.get('/ca/certs', async (_request, reply) => send(reply, 200, ca.caCertificates()));
  post('/eca/enroll', (request) => ca.enroll(request));
  post('/eca/register', (request) => ca.register(request));
  post('/eca/revoke', (request) => ca.revoke(request));
  app.get<{ Params: { id: string } }>('/eca/ecert/:id', async (request, reply) => send(reply, 200, { ecert: await ca.readECert(request.params.id) }));
  app.get('/eca/crl', async (_request, reply) => send(reply, 200, await ca.revocationList()));
  post('/tca/tcerts', (request) => ca.issueTCerts(request));
  post('/tlsca/validator', (request) => ca.issueValidatorCert(request));
  return app;
}
