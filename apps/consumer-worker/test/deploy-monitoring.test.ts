import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkerMetrics } from '../src/metrics.js';

const deploy = (path: string) => fileURLToPath(new URL(`../../../deploy/${path}`, import.meta.url));
const DASHBOARD = deploy('grafana/chat-completion-consumer.json');
const RULES = deploy('prometheus/alerts.yml');
const RULE_TESTS = deploy('prometheus/alerts.test.yml');

/** Metric names in PromQL text: our families and the process metrics prom-client adds. */
const METRIC = /\b(?:chat|nodejs|process)_[a-z0-9_]+\b/g;

/** Every sample name the worker's /metrics can carry: each family, and a histogram's `_bucket`, `_sum`, `_count`. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = new WorkerMetrics();
  const names = new Set<string>();
  for (const { name, type } of await metrics.registry.getMetricsAsJSON()) {
    names.add(name);
    // prom-client types `type` as an enum; at run time it is the text format's word.
    if (String(type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** The PromQL of every panel target and every query variable of a Grafana dashboard. */
function dashboardQueries(dashboard: {
  panels: { title: string; targets?: { expr: string }[] }[];
  templating: { list: { name: string; query?: unknown }[] };
}): { where: string; expr: string }[] {
  const queries = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  );
  for (const variable of dashboard.templating.list) {
    const query = variable.query as { query?: string } | string | undefined;
    const expr = typeof query === 'string' ? query : query?.query;
    if (expr && expr !== 'prometheus') queries.push({ where: `variable $${variable.name}`, expr });
  }
  return queries;
}

describe('monitoring config names only what the worker exports', () => {
  it('every Grafana query and every alert rule names at least one exported metric, and no other', async () => {
    const exported = await exportedNames();
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(20);
    const rules = readFileSync(RULES, 'utf8');
    const ruleExprs = rules.split(/\n\s+- alert: /).slice(1);
    expect(ruleExprs).toHaveLength(6);
    queries.push(...ruleExprs.map((text) => ({ where: `alert ${text.split('\n')[0]}`, expr: text })));

    const problems: string[] = [];
    for (const { where, expr } of queries) {
      const named = expr.match(METRIC) ?? [];
      if (named.length === 0) problems.push(`${where} names no metric: ${expr}`);
      for (const name of named)
        if (!exported.has(name)) problems.push(`${where} names ${name}, which is not exported`);
    }
    expect(problems).toEqual([]);
  });

  it('the dashboard covers every question an alert asks', () => {
    const text = readFileSync(DASHBOARD, 'utf8');
    for (const family of [
      'chat_consumer_lag',
      'chat_consumer_oldest_pending_age_seconds',
      'chat_consumer_dead_lettered_total',
      'chat_consumer_lost_before_processing_total',
      'chat_consumer_trimmed_unread_total',
      'chat_consumer_state{state=\\"ready\\"',
    ])
      expect(text).toContain(family);
  });
});

// promtool comes with Debian's `prometheus` package; without it the rule checks have nothing to run.
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!promtool)
  console.log('[skip] promtool not found (apt-get install prometheus): alert rule tests skipped');

describe.skipIf(!promtool)('alert rules (promtool)', () => {
  const run = (...args: string[]) => {
    const result = spawnSync('promtool', args, { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };

  it('pass promtool check rules', () => {
    const { status, output } = run('check', 'rules', RULES);
    expect(output).toContain('SUCCESS: 6 rules found');
    expect(status).toBe(0);
  });

  it('pass their unit tests (promtool test rules): lag, pending age, dead letters, loss, degraded, none ready', () => {
    const { status, output } = run('test', 'rules', RULE_TESTS);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });
});
