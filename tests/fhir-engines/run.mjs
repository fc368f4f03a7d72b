// Runs the exported Bundle, exactly as exported, in real FHIR engines.
//
// Reads one JSON object on standard input:
//   {"bundle": <the exported Bundle>, "responses": [<QuestionnaireResponse>...],
//    "engines": ["encender", "cql", "fhirpath"]}
// and writes one JSON object: for each engine, one result per response,
//   {"actions": [[group id or null, action id], ...],   (every selected leaf action)
//    "payloads": {action id: [contentString...]},        (Encender: the CommunicationRequests)
//    "nulls": [define names that gave null]}             (cql: a condition that is not boolean)
// and "ms": milliseconds per response for each engine.
//
// With --lines it serves one response at a time instead: the first line of standard
// input is {"bundle": ..., "engines": [...]}, each later line one QuestionnaireResponse,
// and each answer one line {engine: result}, so a test can ask as it goes.
//
// encender: applyPlan (PlanDefinition/$apply) with a resolver over the Bundle,
//   a Patient and the response; conditions are the text/cql defines of the Library.
// cql: the Library's ELM run by cql-execution over cql-exec-fhir (FHIR 4.0.1), the
//   PlanDefinition's conditions read as $apply reads them (a group's, then its actions').
// fhirpath: fhirpath.js (R4 model) on each condition's cqf-alternativeExpression.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { applyPlan, simpleResolver } from 'encender';
import cql from 'cql-execution';
import cqlfhir from 'cql-exec-fhir';

const require = createRequire(import.meta.url);
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');

const ALTERNATIVE = 'http://hl7.org/fhir/StructureDefinition/cqf-alternativeExpression';
const patient = { resourceType: 'Patient', id: 'test-patient' };
let resources, plan, executor;

function load(bundle) {
  resources = bundle.entry.map((e) => e.resource);
  plan = resources.find((r) => r.resourceType === 'PlanDefinition');
  const library = resources.find((r) => r.resourceType === 'Library');
  const elm = JSON.parse(
    Buffer.from(library.content.find((c) => c.contentType === 'application/elm+json').data, 'base64').toString('ascii'),
  );
  executor = new cql.Executor(new cql.Library(elm));
}

function withIds(qr, i) {
  return { id: `response-${i}`, subject: { reference: 'Patient/test-patient' }, ...qr };
}

// The leaves $apply would select, given how each condition evaluates.
async function walk(actions, holds, group = null, out = []) {
  for (const action of actions) {
    const condition = action.condition?.[0];
    if (condition && !(await holds(condition, action))) continue;
    if (action.action) await walk(action.action, holds, action.id, out);
    else out.push([group, action.id]);
  }
  return out;
}

async function encender(qr) {
  // The knowledge resolves by reference; called with no reference, a resolver gives the
  // patient's own data, which Encender hands to the CQL engine.
  const knowledge = simpleResolver(resources);
  const data = simpleResolver([patient, qr]);
  const resolver = (reference = null) => (reference ? [...data(reference), ...knowledge(reference)] : data());
  const [, requestGroup, ...others] = await applyPlan(plan, 'Patient/test-patient', resolver, {});
  const byId = new Map(others.map((r) => [`${r.resourceType}/${r.id}`, r]));
  const actions = [];
  const payloads = {};
  const visit = (list, group) => {
    for (const a of list ?? []) {
      if (a.action) visit(a.action, a.id);
      else {
        actions.push([group, a.id]);
        const target = byId.get(a.resource?.reference);
        payloads[a.id] = (target?.payload ?? []).filter((p) => 'contentString' in p).map((p) => p.contentString);
      }
    }
  };
  visit(requestGroup.action, null);
  return { actions, payloads, nulls: [] };
}

const source = cqlfhir.PatientSource.FHIRv401();
async function cqlRun(qr) {
  source.reset();
  source.loadBundles([{ resourceType: 'Bundle', type: 'collection', entry: [patient, qr].map((r) => ({ resource: r })) }]);
  const results = (await executor.exec(source)).patientResults['test-patient'];
  const nulls = [];
  const holds = async (condition) => {
    const name = condition.expression.expression;
    const value = results[name];
    if (value !== true && value !== false) nulls.push(name);
    return value === true;
  };
  return { actions: await walk(plan.action, holds), payloads: {}, nulls };
}

const compiled = new Map();
function compiledFor(condition) {
  const alt = condition.expression.extension.find((e) => e.url === ALTERNATIVE).valueExpression;
  if (!compiled.has(alt.expression)) compiled.set(alt.expression, fhirpath.compile(alt.expression, r4));
  return compiled.get(alt.expression);
}

async function fhirpathRun(qr) {
  const nulls = [];
  const holds = async (condition, action) => {
    const value = compiledFor(condition)(qr, { resource: qr });
    if (value.length !== 1 || typeof value[0] !== 'boolean') nulls.push(action.id);
    return value[0] === true;
  };
  return { actions: await walk(plan.action, holds), payloads: {}, nulls };
}

const ENGINES = { encender, cql: cqlRun, fhirpath: fhirpathRun };

async function batch(input) {
  load(input.bundle);
  const output = { results: {}, ms: {} };
  for (const name of input.engines) {
    const run = ENGINES[name];
    const started = process.hrtime.bigint();
    // Encender runs each $apply in a worker thread of its own: run as many at once as there
    // are cores.  The other engines run in this thread, one response after another.
    const width = name === 'encender' ? Math.max(1, availableParallelism()) : 1;
    const results = new Array(input.responses.length);
    let next = 0;
    const lane = async () => {
      while (next < input.responses.length) {
        const i = next++;
        results[i] = await run(withIds(input.responses[i], i));
      }
    };
    await Promise.all(Array.from({ length: width }, lane));
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    output.results[name] = results;
    output.ms[name] = input.responses.length ? elapsed / input.responses.length : 0;
  }
  process.stdout.write(JSON.stringify(output));
}

async function lines() {
  let engines = null;
  let i = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const message = JSON.parse(line);
    if (engines === null) {
      load(message.bundle);
      engines = message.engines;
      continue;
    }
    const answer = {};
    for (const name of engines) answer[name] = await ENGINES[name](withIds(message, i));
    i += 1;
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  }
}

if (process.argv.includes('--lines')) await lines();
else await batch(JSON.parse(readFileSync(0, 'utf8')));
