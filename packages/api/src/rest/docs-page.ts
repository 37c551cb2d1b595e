type Json = Record<string, unknown>;

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `code` spans in descriptions, the only markup the document's prose uses. */
const prose = (s: unknown): string => (typeof s === 'string' ? escape(s).replace(/`([^`]+)`/g, '<code>$1</code>') : '');

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A schema in one line: `string (date-time)`, `Event[]`, `string | null`, with its limits. */
function typeOf(schema: unknown): string {
  const s = obj(schema);
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop() ?? '';
    return `<a href="#schema-${escape(name)}">${escape(name)}</a>`;
  }
  if (Array.isArray(s.anyOf)) return s.anyOf.map(typeOf).join(' | ');
  if (Array.isArray(s.enum)) return s.enum.map((e) => `<code>${escape(JSON.stringify(e))}</code>`).join(' | ');
  if (s.type === 'array') return `${typeOf(s.items)}[]`;
  const base = escape(String(s.type ?? 'any')) + (typeof s.format === 'string' ? ` (${escape(s.format)})` : '');
  const limits = [
    typeof s.minLength === 'number' ? `min length ${s.minLength}` : '',
    typeof s.maxLength === 'number' ? `max length ${s.maxLength}` : '',
    typeof s.minimum === 'number' ? `≥ ${s.minimum}` : '',
    typeof s.maximum === 'number' ? `≤ ${s.maximum}` : '',
    s.default !== undefined ? `default ${escape(JSON.stringify(s.default))}` : '',
  ].filter(Boolean);
  return limits.length > 0 ? `${base} <span class="limits">${limits.join(', ')}</span>` : base;
}

function propertiesTable(schema: unknown): string {
  const s = obj(schema);
  const required = new Set(list(s.required));
  const rows = Object.entries(obj(s.properties)).map(
    ([name, p]) =>
      `<tr><td><code>${escape(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td><td>${typeOf(p)}</td><td>${prose(obj(p).description)}</td></tr>`,
  );
  if (rows.length === 0) return '<p>No fields.</p>';
  return `<table><thead><tr><th>field</th><th>type</th><th>notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function operationSection(method: string, path: string, op: Json, doc: Json): string {
  const parameters = list(op.parameters).map(obj);
  const params =
    parameters.length === 0
      ? ''
      : `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>notes</th></tr></thead><tbody>${parameters
          .map(
            (p) =>
              `<tr><td><code>${escape(String(p.name))}</code>${p.required === true ? ' <span class="req">required</span>' : ''}</td><td>${escape(String(p.in))}</td><td>${typeOf(p.schema)}</td><td>${prose(p.description)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const bodySchema = obj(obj(obj(obj(op.requestBody).content)['application/json']).schema);
  const body = op.requestBody ? `<h4>Request body (JSON)</h4>${bodySchema.$ref ? `<p>${typeOf(bodySchema)}</p>${propertiesTable(resolve(doc, bodySchema))}` : propertiesTable(bodySchema)}` : '';
  const responses = Object.entries(obj(op.responses)).map(([status, r]) => {
    const response = resolve(doc, obj(r));
    const schema = obj(obj(obj(response.content)['application/json']).schema);
    return `<tr><td><code>${escape(status)}</code></td><td>${prose(response.description)}</td><td>${schema.$ref || schema.type ? typeOf(schema) : ''}</td></tr>`;
  });
  const id = `op-${escape(String(op.operationId))}`;
  return `<section class="op" id="${id}">
<h3><span class="method ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>
<p class="summary">${prose(op.summary)}</p>${op.description ? `<p>${prose(op.description)}</p>` : ''}
<p class="meta">Served by the procedure <code>${escape(String(op['x-trpc-procedure'] ?? ''))}</code>.</p>
${params}${body}
<h4>Responses</h4><table><thead><tr><th>status</th><th>meaning</th><th>body</th></tr></thead><tbody>${responses.join('')}</tbody></table>
</section>`;
}

/** Follows a local `$ref` (`#/components/...`) one level. */
function resolve(doc: Json, value: Json): Json {
  if (typeof value.$ref !== 'string' || !value.$ref.startsWith('#/')) return value;
  let node: unknown = doc;
  for (const part of value.$ref.slice(2).split('/')) node = obj(node)[part];
  return obj(node);
}

/**
 * A readable API reference rendered from the OpenAPI document: one self-contained page (inline
 * styles, no scripts, nothing fetched), so it works offline and under the default CSP.
 */
export function renderDocsPage(doc: Json): string {
  const info = obj(doc.info);
  const operations: string[] = [];
  const toc: string[] = [];
  for (const [path, item] of Object.entries(obj(doc.paths))) {
    for (const [method, op] of Object.entries(obj(item))) {
      operations.push(operationSection(method, path, obj(op), doc));
      toc.push(`<li><a href="#op-${escape(String(obj(op).operationId))}"><span class="method ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></a> ${prose(obj(op).summary)}</li>`);
    }
  }
  const schemas = Object.entries(obj(obj(doc.components).schemas)).map(
    ([name, s]) => `<section id="schema-${escape(name)}"><h3>${escape(name)}</h3>${obj(s).description ? `<p>${prose(obj(s).description)}</p>` : ''}${propertiesTable(s)}</section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(String(info.title ?? 'API'))}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#1f2328}
code{font:13px ui-monospace,monospace;background:#f3f4f6;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.op{border-top:2px solid #d0d7de;margin-top:2rem}.method{font-weight:700;padding:0 .4em;border-radius:3px;color:#fff}
.get{background:#0969da}.post{background:#1a7f37}.patch{background:#9a6700}.delete{background:#cf222e}
.req{color:#cf222e;font-size:12px}.limits,.meta{color:#57606a;font-size:13px}ul.toc{list-style:none;padding:0}ul.toc li{margin:.2rem 0}
</style></head><body>
<h1>${escape(String(info.title ?? 'API'))} <small class="meta">${escape(String(info.version ?? ''))}</small></h1>
<p>${prose(info.description)}</p>
<p><strong>Authentication:</strong> every endpoint needs <code>Authorization: Bearer &lt;jwt&gt;</code>. Machine-readable: <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI ${escape(String(doc.openapi))}).</p>
<h2>Endpoints</h2><ul class="toc">${toc.join('')}</ul>
${operations.join('\n')}
<h2>Schemas</h2>
${schemas.join('\n')}
</body></html>`;
}
