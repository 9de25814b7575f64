/**
 * export → import → export is stable, in both formats, for every
 * documentation manifest (imported first) and every example; and every
 * export is valid against its schema.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportBundle, type ExportFormat } from '../../../src/language-server/interop/export-manifests.js';
import { importManifests } from '../../../src/language-server/interop/import-manifests.js';
import { ROOT, compileTexts, manifestFiles, schemaErrors } from './helpers.js';

const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.policy')).sort().map((f) => path.join(ROOT, 'examples', f));

/** Every construct export maps, in one workspace file. */
const RICH = `namespace shop { labels { team: "retail" }
  policy api {
    select app == "api" and tier notin ("batch", "cron")
    ingress {
      allow from app in ("web", "admin") and !exists canary to port 8080/tcp, 8443/tcp
      allow from "io.kubernetes.pod.namespace" exists and "io.cilium.k8s.namespace.labels.team" == "ops" to port 9000-9100/tcp
      allow from "io.kubernetes.pod.namespace" in ("a", "b") or cidr 10.0.0.0/8 except 10.1.0.0/16 to port 53/any, 53/udp
      allow from entity cluster or entity world to port 80/tcp http { GET "/public/.*" POST "/orders" header "X-Token" }
      deny from cidr 192.168.0.0/16
      allow from app == "probe" to port icmp type 8
    }
    egress {
      allow to app == "db" port 5432/tcp
      allow
    }
  }
}
`;

async function policyText(file: string): Promise<string> {
  if (file === 'inline:rich') return RICH;
  const text = fs.readFileSync(file, 'utf8');
  return file.endsWith('.yaml') ? importManifests(text, path.basename(file)).text : text;
}

async function exportText(text: string, format: ExportFormat, label: string): Promise<string> {
  const { bundle, errors } = await compileTexts({ 'source.policy': text });
  assert.deepEqual(errors, [], `${label}\n${text}`);
  const result = exportBundle(bundle, format);
  for (const document of result.documents) assert.deepEqual(schemaErrors(document), [], `${label}: ${JSON.stringify(document)}`);
  return result.yaml;
}

for (const format of ['cilium', 'k8s'] as const) {
  test(`${format}: export → import → export is stable and schema-valid for every manifest and example`, async () => {
    assert.ok(examples.length > 0 && manifestFiles().length >= 15);
    for (const file of [...manifestFiles(), ...examples, 'inline:rich']) {
      const label = `${file.startsWith('inline:') ? file : path.relative(ROOT, file)} (${format})`;
      const first = await exportText(await policyText(file), format, label);
      assert.ok(first.length > 0, `${label}: nothing exported`);
      const reimported = importManifests(first, 'export.yaml').text;
      const second = await exportText(reimported, format, `${label}, re-imported`);
      assert.equal(second, first, `${label}: not stable\n${reimported}`);
    }
  });
}
