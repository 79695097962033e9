// Fabric v0.6's /registrar routes (core/rest/rest_api.go Register, GetEnrollmentID,
// DeleteEnrollmentID, GetEnrollmentCert, GetTransactionCert): log a user in on this peer (enroll
// with membership services and keep the keys), ask whether one is, log out, read the user's
// ECert and fresh TCerts — with Fabric's messages and statuses (reference §1.2).
import type { FastifyInstance, FastifyReply } from 'fastify';

/** What the routes need from the peer's security (host/security/peer-security.ts). */
export interface RegistrarApi {
  readonly securityEnabled: boolean;
  /** rest.validPatterns.enrollmentID. */
  readonly enrollmentIdPattern: RegExp;
  login(id: string, secret: string): Promise<'new' | 'already'>;
  isLoggedIn(id: string): Promise<boolean>;
  logout(id: string): Promise<boolean>;
  ecertPem(id: string): Promise<string | undefined>;
  tcertsPem(id: string, count: number): Promise<string[] | undefined>;
}

/** Fabric clamps /tcert?count= to this. */
export const TCERT_COUNT_MAX = 500;
const SECURITY_REQUIRED = 'Security functionality must be enabled before requesting client certificates.';

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

/** Go's url.QueryEscape, which Fabric applies to the PEM it returns. */
export function queryEscape(text: string): string {
  return new URLSearchParams({ v: text }).toString().slice(2);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A CA refusal (wrong secret, already enrolled, revoked) is the user's problem: 401, as Fabric. */
function isCaRefusal(error: unknown): boolean {
  const status = (error as { status?: number }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export function registerRegistrarRoutes(app: FastifyInstance, registrar: RegistrarApi): void {
  const enrollmentIdPattern = registrar.enrollmentIdPattern;
  const badId = (reply: FastifyReply): FastifyReply => send(reply, 400, { Error: 'Invalid enrollment ID parameter' });

  app.post('/registrar', async (request, reply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    let parsed: unknown;
    try {
      parsed = body.trim() === '' ? undefined : JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return send(reply, 400, { Error: 'Payload must contain object Secret with enrollId and enrollSecret fields.' });
    }
    const fields = parsed as Record<string, unknown>;
    const id = fields['enrollId'];
    const secret = fields['enrollSecret'];
    if (typeof id !== 'string' || typeof secret !== 'string' || id === '' || secret === '') {
      return send(reply, 400, { Error: 'enrollId and enrollSecret may not be blank.' });
    }
    if (!enrollmentIdPattern.test(id)) return badId(reply);
    if (!registrar.securityEnabled) return send(reply, 400, { Error: SECURITY_REQUIRED });
    try {
      const outcome = await registrar.login(id, secret);
      return send(reply, 200, { OK: outcome === 'already' ? `User ${id} is already logged in.` : `Login successful for user '${id}'.` });
    } catch (error) {
      if (isCaRefusal(error)) return send(reply, 401, { Error: message(error) });
      return send(reply, 500, { Error: `Fatal error -- ${message(error)}` });
    }
  });

  app.get<{ Params: { id: string } }>('/registrar/:id', async (request, reply) => {
    const { id } = request.params;
    if (!enrollmentIdPattern.test(id)) return badId(reply);
    if (registrar.securityEnabled && (await registrar.isLoggedIn(id))) return send(reply, 200, { OK: `User ${id} is already logged in.` });
    return send(reply, 401, { Error: `User ${id} must log in.` });
  });

  app.delete<{ Params: { id: string } }>('/registrar/:id', async (request, reply) => {
    const { id } = request.params;
    if (!enrollmentIdPattern.test(id)) return badId(reply);
    try {
      if (!registrar.securityEnabled || !(await registrar.logout(id))) return send(reply, 200, { OK: `User ${id} is not logged in.` });
      return send(reply, 200, { OK: `Deleted login token and directory for user ${id}.` });
    } catch (error) {
      return send(reply, 500, { Error: `Error trying to delete login token for user ${id}: ${message(error)}` });
    }
  });

  app.get<{ Params: { id: string } }>('/registrar/:id/ecert', async (request, reply) => {
    const { id } = request.params;
    if (!enrollmentIdPattern.test(id)) return badId(reply);
    if (!registrar.securityEnabled) return send(reply, 400, { Error: SECURITY_REQUIRED });
    const pem = await registrar.ecertPem(id);
    if (pem === undefined) return send(reply, 401, { Error: `User ${id} must log in.` });
    return send(reply, 200, { OK: queryEscape(pem) });
  });

  app.get<{ Params: { id: string }; Querystring: { count?: string } }>('/registrar/:id/tcert', async (request, reply) => {
    const { id } = request.params;
    if (!enrollmentIdPattern.test(id)) return badId(reply);
    if (!registrar.securityEnabled) return send(reply, 400, { Error: SECURITY_REQUIRED });
    const raw = request.query.count;
    let count = 1;
    if (raw !== undefined) {
      if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) return send(reply, 400, { Error: 'Count query parameter must be a non-negative integer.' });
      count = Math.min(Math.max(Number(raw), 1), TCERT_COUNT_MAX);
    }
    try {
      const pems = await registrar.tcertsPem(id, count);
      if (pems === undefined) return send(reply, 401, { Error: `User ${id} must log in.` });
      return send(reply, 200, { OK: pems.map(queryEscape) });
    } catch (error) {
      return send(reply, isCaRefusal(error) ? 400 : 500, { Error: message(error) });
    }
  });
}
