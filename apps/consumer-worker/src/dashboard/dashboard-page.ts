// The dashboard's page, style and script, served as they are: no bundler, no build step. The script builds the
// DOM with textContent only (dead-letter data is untrusted), keeps a 5-minute window of samples for the charts,
// and exposes what it shows as `window.dashboard` for people poking at it in the console (and for the tests).

/** The page: the layout the script fills in. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chat pipeline dashboard</title>
<link rel="stylesheet" href="/dashboard/assets/uplot.css">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
</head>
<body>
<header><h1>chat pipeline</h1><span id="health" class="health">loading…</span><span id="updated"></span></header>
<main>
<section class="charts">
  <figure><figcaption>completions per second, by outcome</figcaption><div id="chart-rate"></div></figure>
  <figure><figcaption>group lag and pending, per partition</figcaption><div id="chart-backlog"></div></figure>
  <figure><figcaption>oldest pending age (s), per partition</figcaption><div id="chart-age"></div></figure>
  <figure><figcaption>dead letters, by reason</figcaption><div id="chart-dead"></div></figure>
  <figure><figcaption>handler and end-to-end latency (ms)</figcaption><div id="chart-latency"></div></figure>
</section>
<section><h2>partitions</h2><table id="partitions"></table></section>
<section><h2>consumers</h2><table id="consumers"></table></section>
<section>
  <h2>dead letters</h2>
  <p id="replay-status" role="status"></p>
  <table id="dead-letters"></table>
  <pre id="letter" hidden></pre>
</section>
</main>
<script src="/dashboard/assets/uplot.js"></script>
<script src="/dashboard/assets/dashboard.js"></script>
</body>
</html>
`;

/** The page's style. */
export const DASHBOARD_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { display: flex; gap: 1rem; align-items: baseline; padding: .6rem 1rem; background: #1d2330; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
.health { padding: .1rem .5rem; border-radius: .3rem; background: #666; }
.health.ok { background: #1f7a3a; } .health.bad { background: #b3261e; }
#updated { opacity: .7; font-size: .85rem; }
main { padding: 1rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 1rem; }
figure { margin: 0; background: #fff; border: 1px solid #dde1e6; border-radius: .4rem; padding: .5rem; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { border-bottom: 1px solid #e4e7eb; padding: .25rem .5rem; text-align: left; font-variant-numeric: tabular-nums; }
tr.letter { cursor: pointer; } tr.letter:hover { background: #eef3ff; }
pre { background: #fff; border: 1px solid #dde1e6; padding: .5rem; overflow: auto; max-height: 24rem; }
button { cursor: pointer; }
`;

/** The page's script: polls the state API, draws the charts and tables, replays dead letters. */
export const DASHBOARD_SCRIPT = `(() => {
  'use strict';
  const params = new URLSearchParams(location.search);
  if (params.has('token')) {
    // Kept for this tab only, and out of the address bar, history and any Referer.
    sessionStorage.setItem('dashboard-token', params.get('token'));
    params.delete('token');
    history.replaceState(null, '', location.pathname + (params.size ? '?' + params : ''));
  }
  const token = sessionStorage.getItem('dashboard-token') || '';
  const intervalMs = Math.max(250, Number(params.get('interval')) || 1000);
  const WINDOW = 300;
  const api = (path, init = {}) =>
    fetch('/dashboard/api/' + path, {
      ...init,
      headers: { authorization: 'Bearer ' + token, ...(init.headers || {}) },
    }).then(async (response) => {
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.message || body.error || response.statusText);
      return body;
    });

  const dashboard = { updates: 0, charts: {}, state: null, letters: [], errors: [] };
  window.dashboard = dashboard;

  const palette = ['#1f7a3a', '#b3261e', '#7a6f1f', '#2457c5', '#8a2be2', '#d2691e', '#008b8b', '#555'];
  function chart(key, names) {
    const old = dashboard.charts[key];
    if (old && old.names.join('|') === names.join('|')) return old;
    const element = document.getElementById('chart-' + key);
    const data = [old ? old.data[0] : []];
    names.forEach((name) => {
      const index = old ? old.names.indexOf(name) : -1;
      data.push(index >= 0 ? old.data[index + 1] : data[0].map(() => null));
    });
    if (old) old.plot.destroy();
    const plot = new uPlot(
      {
        width: Math.max(400, element.clientWidth || 440),
        height: 200,
        series: [{}, ...names.map((name, i) => ({ label: name, stroke: palette[i % palette.length], width: 2, spanGaps: true }))],
        axes: [{}, { size: 60 }],
        scales: { x: { time: true } },
      },
      data,
      element,
    );
    return (dashboard.charts[key] = { names, data, plot });
  }
  function sample(key, t, values) {
    const names = Object.keys(values);
    const c = chart(key, names);
    c.data[0].push(t);
    names.forEach((name, i) => c.data[i + 1].push(values[name]));
    if (c.data[0].length > WINDOW) c.data.forEach((column) => column.shift());
    c.plot.setData(c.data);
  }

  function cells(row, values, tag = 'td') {
    for (const value of values) {
      const cell = document.createElement(tag);
      cell.textContent = value === null || value === undefined ? '-' : String(value);
      row.appendChild(cell);
    }
    return row;
  }
  function table(id, head, rows) {
    const element = document.getElementById(id);
    element.replaceChildren(cells(document.createElement('tr'), head, 'th'));
    for (const values of rows) element.appendChild(cells(document.createElement('tr'), values));
    return element;
  }
  const seconds = (ms) => (ms === null || ms === undefined ? null : Math.round(ms / 100) / 10);

  let previous = null;
  function showState(state) {
    dashboard.state = state;
    const t = Date.now() / 1000;
    const outcomes = state.outcomes;
    if (previous) {
      const dt = Math.max(0.001, t - previous.t);
      sample('rate', t, {
        completed: (outcomes.completed - previous.outcomes.completed) / dt,
        failed: (outcomes.failed - previous.outcomes.failed) / dt,
        duplicate: (outcomes.duplicate - previous.outcomes.duplicate) / dt,
      });
    }
    previous = { t, outcomes };
    const partitions = state.status.partitions;
    const backlog = {};
    const age = {};
    const dead = {};
    for (const p of partitions) {
      backlog['lag p' + p.partition] = p.group.lag;
      backlog['pending p' + p.partition] = p.group.pending;
      age['p' + p.partition] = seconds(p.group.oldestPendingAgeMs) ?? 0;
      for (const [reason, count] of Object.entries(p.deadLetters.byReason)) dead[reason] = (dead[reason] || 0) + count;
    }
    if (Object.keys(dead).length === 0) dead.total = 0;
    sample('backlog', t, backlog);
    sample('age', t, age);
    sample('dead', t, Object.fromEntries(Object.keys(dead).sort().map((reason) => [reason, dead[reason]])));
    const worst = (pick) => Math.max(0, ...state.consumers.map(pick));
    sample('latency', t, {
      'handler p50': worst((c) => c.handlerDurationMs.p50),
      'handler p99': worst((c) => c.handlerDurationMs.p99),
      'end-to-end p50': worst((c) => c.endToEndLatencyMs.p50),
      'end-to-end p99': worst((c) => c.endToEndLatencyMs.p99),
    });

    table('partitions', ['partition', 'stream', 'length', 'lag', 'pending', 'oldest pending (s)', 'dead letters', 'trimmed', 'loss'],
      partitions.map((p) => [p.partition, p.stream, p.length, p.group.exists ? p.group.lag : 'no group', p.group.pending,
        seconds(p.group.oldestPendingAgeMs), p.deadLetters.total, p.trimming.removed,
        p.loss.gap || p.loss.unread > 0 ? 'LOST ' + (p.loss.unread ?? '?') + ' unread' : 'none']));
    const states = new Map(state.consumers.map((c) => [c.stream + ' ' + c.consumer, c]));
    table('consumers', ['partition', 'group', 'consumer', 'state', 'pending', 'idle (s)', 'in flight'],
      partitions.flatMap((p) => p.consumers.map((c) => {
        const own = states.get(p.stream + ' ' + c.name);
        return [p.partition, p.group.name, c.name, own ? own.state : 'other worker', c.pending, seconds(c.idleMs), own ? own.inFlight : null];
      })));
    const unhealthy = state.consumers.some((c) => c.state !== 'ready') ||
      partitions.some((p) => !p.group.exists || p.loss.gap || p.loss.unread > 0);
    const health = document.getElementById('health');
    health.textContent = unhealthy ? 'attention' : 'healthy';
    health.className = 'health ' + (unhealthy ? 'bad' : 'ok');
    document.getElementById('updated').textContent = (state.fresh ? 'updated ' : 'STALE, last read ') + new Date(state.readAt).toLocaleTimeString();
  }

  function summary(letter) {
    if (!letter.message) return '(' + (letter.decodeError ? letter.decodeError.code : 'no data') + ')';
    return letter.message.operation_id + ' → ' + letter.message.task_id + (letter.message.success ? ' success' : ' failure');
  }
  function showLetters(letters) {
    dashboard.letters = letters;
    const element = table('dead-letters', ['id', 'partition', 'reason', 'deliveries', 'failed at', 'message', ''], []);
    for (const letter of letters) {
      const row = cells(document.createElement('tr'), [letter.id, letter.partition, letter.reason, letter.deliveryCount, letter.failedAt, summary(letter)]);
      row.className = 'letter';
      row.dataset.id = letter.id;
      row.addEventListener('click', () => {
        const pre = document.getElementById('letter');
        pre.hidden = false;
        pre.textContent = JSON.stringify(letter, null, 2);
      });
      const action = document.createElement('td');
      const button = document.createElement('button');
      button.textContent = 'replay';
      button.className = 'replay';
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        replay(letter, button);
      });
      action.appendChild(button);
      row.appendChild(action);
      element.appendChild(row);
    }
  }
  async function replay(letter, button) {
    const status = document.getElementById('replay-status');
    button.disabled = true;
    try {
      const result = await api('dead-letters/replay', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: letter.id, partition: letter.partition }),
      });
      status.textContent = 'replayed ' + letter.id + ' as ' + result.replayedAs;
      await refreshLetters();
    } catch (error) {
      status.textContent = 'replay of ' + letter.id + ' failed: ' + error.message;
      button.disabled = false;
    }
  }
  const refreshLetters = () => api('dead-letters?limit=50').then((page) => showLetters(page.letters));

  async function tick() {
    try {
      const [state] = await Promise.all([api('state'), refreshLetters()]);
      showState(state);
      dashboard.updates++;
    } catch (error) {
      dashboard.errors.push(error.message);
      const health = document.getElementById('health');
      health.textContent = 'error: ' + error.message;
      health.className = 'health bad';
    }
    setTimeout(tick, intervalMs);
  }
  tick();
})();
`;
