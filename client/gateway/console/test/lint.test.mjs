// lint.test.mjs: the console's files keep to the rules its CSP and its
// escaping depend on (grep-level, node's own test runner):
//   node client/gateway/console/test/lint.test.mjs
// index.html: no inline script or style (the CSP would block them), no
// event-handler attributes, only same-origin resources; the JS: no
// innerHTML / outerHTML / insertAdjacentHTML / document.write (API data
// is rendered as text), no eval or new Function, no remote URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (f) => readFileSync(join(dir, f), 'utf8');

// JS without its comments (a comment may name what the code must not do).
function code(f) {
  return read(f).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

test('index.html: no inline script or style, no handlers, same-origin files', () => {
  const html = read('index.html');
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    assert.match(m[1], /\bsrc="\/console\/[a-z0-9_-]+\.js"/, 'a script without src: ' + m[0]);
    assert.equal(m[2].trim(), '', 'an inline script: ' + m[0]);
  }
  assert.doesNotMatch(html, /<style\b/i, 'a <style> element');
  assert.doesNotMatch(html, /\sstyle\s*=/i, 'a style attribute');
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'an event-handler attribute');
  assert.doesNotMatch(html, /javascript:/i);
  assert.doesNotMatch(html, /(src|href)\s*=\s*"(https?:)?\/\//i, 'a resource from elsewhere (CDN)');
});

for (const f of ['console.js', 'api.js']) {
  test(`${f}: no HTML sinks, no eval, no remote URLs`, () => {
    const js = code(f);
    assert.doesNotMatch(js, /\.(innerHTML|outerHTML)\b/, 'innerHTML / outerHTML');
    assert.doesNotMatch(js, /insertAdjacentHTML|document\.write|createContextualFragment/);
    assert.doesNotMatch(js, /\beval\s*\(/, 'eval');
    assert.doesNotMatch(js, /\bnew\s+Function\b|\bFunction\s*\(/, 'new Function');
    assert.doesNotMatch(js, /set(Timeout|Interval)\s*\(\s*['"`]/, 'a timer given a string');
    assert.doesNotMatch(js, /https?:\/\//, 'a remote URL');
    assert.doesNotMatch(js, /localStorage/, 'the token belongs in sessionStorage');
  });
}

test('api.js takes fetch as a parameter and touches no DOM', () => {
  const js = code('api.js');
  assert.match(js, /opts\.fetch/);
  assert.doesNotMatch(js, /\bdocument\b|\bwindow\b/);
});
