import { readFileSync } from 'node:fs';
import cql from 'cql-execution';
import cqlfhir from 'cql-exec-fhir';
const input = JSON.parse(readFileSync('/tmp/in.json', 'utf8'));
const lib = input.bundle.entry.map(e=>e.resource).find(r=>r.resourceType==='Library');
const elm = JSON.parse(Buffer.from(lib.content[1].data,'base64').toString('ascii'));
const patient = {resourceType:'Patient', id:'p'};
const ex = new cql.Executor(new cql.Library(elm));
const src = cqlfhir.PatientSource.FHIRv401();
const names = elm.library.statements.def.map(d=>d.name).filter(n=>n.startsWith('Select_')||n==='CompleteOrEmergency');
for (const round of [1,2,3]) {
  let t0 = performance.now(); const per = [];
  for (const name of names) {
    src.reset(); src.loadBundles([{resourceType:'Bundle',type:'collection',entry:[{resource:patient},{resource:input.qr}]}]);
    let t = performance.now();
    await ex.exec_expression(name, src);
    per.push([performance.now()-t, name]);
  }
  per.sort((a,b)=>b[0]-a[0]);
  console.log('round', round, 'total', (performance.now()-t0).toFixed(0), per.slice(0,3).map(p=>p[0].toFixed(1)+' '+p[1]).join(' | '), 'n', names.length);
}
