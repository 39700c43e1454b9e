// The peer of `cargo bench`: bpmn-engine (a JavaScript BPMN engine) runs permitflow's joint
// review (joint.bpmn: acceptance, nine parallel reviews, issuance) from submission to issue,
// its 11 user tasks each completed from outside as a reviewer would, one lifecycle after
// another. Two ways: in memory (one engine per lifecycle, never saved), and restoring its state
// at every step (getState, JSON through a string as a database would hold it, recover, resume),
// which is what a durable service built on it must do. Prints lifecycles per second and memory.
//
//     npm install && node peer.js [lifecycles]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Engine } = require('bpmn-engine');

const source = fs.readFileSync(path.join(__dirname, 'joint.bpmn'), 'utf8');
const lifecycles = Number(process.argv[2] || 1000);

/// The user tasks waiting now, by id.
function waiting(execution) {
  return execution.getPostponed().filter((a) => a.type === 'bpmn:UserTask').map((a) => a.id);
}

async function inMemory(n) {
  for (let i = 0; i < n; i++) {
    const engine = new Engine({ name: `joint-${i}`, source });
    const execution = await engine.execute();
    let steps = 0;
    for (let ids = waiting(execution); ids.length; ids = waiting(execution)) {
      for (const id of ids) {
        execution.signal({ id });
        steps++;
      }
    }
    if (steps !== 11 || engine.state !== 'idle') throw new Error(`lifecycle ${i}: ${steps} steps, ${engine.state}`);
  }
}

async function restoredAtEveryStep(n) {
  for (let i = 0; i < n; i++) {
    let engine = new Engine({ name: `joint-${i}`, source });
    let execution = await engine.execute();
    let stored = JSON.stringify(await engine.getState());
    let steps = 0;
    for (;;) {
      engine = new Engine({ name: `joint-${i}` }).recover(JSON.parse(stored));
      execution = await engine.resume();
      const ids = waiting(execution);
      if (!ids.length) break;
      execution.signal({ id: ids[0] });
      steps++;
      stored = JSON.stringify(await engine.getState());
    }
    if (steps !== 11) throw new Error(`lifecycle ${i}: ${steps} steps`);
  }
}

async function timed(name, run, n) {
  const started = process.hrtime.bigint();
  await run(n);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rss = process.memoryUsage().rss / (1024 * 1024);
  console.log(`${name}: ${n} lifecycles in ${seconds.toFixed(2)} s = ${(n / seconds).toFixed(1)} per s, RSS ${rss.toFixed(0)} MiB`);
  return n / seconds;
}

(async () => {
  console.log(`bpmn-engine ${require(path.join(__dirname, 'node_modules/bpmn-engine/package.json')).version}, node ${process.version}`);
  console.log(`idle RSS ${(process.memoryUsage().rss / (1024 * 1024)).toFixed(0)} MiB`);
  await inMemory(50); // warm-up
  await timed('in memory', inMemory, lifecycles);
  await timed('state restored at every step', restoredAtEveryStep, Math.max(1, Math.floor(lifecycles / 4)));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
