/**
 * The console pages' one DOM helper, as page-script source: `h(tag, attrs, ...children)` builds an
 * element with DOM calls only (text goes in as text nodes, never as HTML), so no text from a
 * device or a label can inject markup. Both page scripts include it.
 */
export const domHelperJs = `
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "className") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
`;
