// GET /metrics on the REST port: the peer's metrics in Prometheus' text format, for a scraper
// (`scrape_configs: - targets: ['peer:7050']`).
import type { FastifyInstance } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE } from './registry.ts';

export interface MetricsRenderer {
  render(): string;
}

export function registerMetricsRoute(app: FastifyInstance, metrics: MetricsRenderer): void {
  app.get('/metrics', { config: { ownContentType: true } }, async (_request, reply) =>
    reply.code(200).type(PROMETHEUS_CONTENT_TYPE).header('Cache-Control', 'no-store').send(metrics.render()),
  );
}
