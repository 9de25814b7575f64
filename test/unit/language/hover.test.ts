import { test } from 'node:test';
import { clearDocuments, expectHover } from 'langium/test';
import { newServices } from './helpers.js';

const services = newServices();
const hover = expectHover(services);

const TEXT = `workload frontend { labels { app: "frontend", tier: "web" } replicas 2 }
workload backend { labels { app: "backend", tier: "api" } }
policy be { select app == "<|>backend"
  ingress { <|>allow from tier == "web" to port 8080/tcp }
}
workload <|>db { labels { app: "db" } }
policy web { select app == "frontend"
  ingress { <|>allow from app == "backend" to port 80/tcp http { GET "/health" } }
}
`;

test('hover on a selector lists the workloads it matches', async () => {
  await clearDocuments(services);
  await hover({ text: TEXT, index: 0, hover: 'Matches `backend`', disposeAfterCheck: true });
});

test('hover on a rule says what it allows, for whom', async () => {
  await clearDocuments(services);
  await hover({ text: TEXT, index: 1, hover: /^Allows traffic into backend from tier == "web" \(frontend\) on 8080\/tcp\.$/, disposeAfterCheck: true });
});

test('hover on a workload shows its labels and the policies selecting it', async () => {
  await clearDocuments(services);
  await hover({ text: TEXT, index: 2, hover: /Labels: `app=db`.*\n\nSelected by: no policy\n\nIngress: default allow/s, disposeAfterCheck: true });
});

test('hover on an HTTP rule lists the requests and says the lab datapath allows the whole port', async () => {
  await clearDocuments(services);
  await hover({
    text: TEXT, index: 3, disposeAfterCheck: true,
    hover: /^Allows traffic into frontend from app == "backend" \(backend\) on 80\/tcp\. HTTP requests listed: GET "\/health"; not enforced by the lab datapath yet: the whole port is allowed\.$/,
  });
});
