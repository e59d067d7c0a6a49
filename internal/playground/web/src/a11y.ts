// Fixes to GraphiQL's markup that axe-core finds, made where Latchkey can:
// on the page, after GraphiQL renders (a MutationObserver), since GraphiQL
// takes no props for them.
//   - Its tab strip is a tablist whose tabs hold buttons (and the "+" button
//     sits in the list itself), which ARIA forbids: it becomes a group of
//     buttons, the current one marked aria-current, each item presentational.
//   - CodeMirror's hidden text areas, which take the typing, get names.
//   - CodeMirror's scroll boxes take the focus, as a scrolled region must,
//     so that the arrow keys scroll them without moving the cursor.
const labels: [string, string][] = [
  [".graphiql-query-editor textarea", "Query editor"],
  [".graphiql-editor-tool > .graphiql-editor:nth-child(1) textarea", "Variables editor"],
  [".graphiql-editor-tool > .graphiql-editor:nth-child(2) textarea", "Headers editor"],
  [".graphiql-response textarea", "Response"],
];

function set(el: Element, name: string, value: string | null) {
  if (value === null) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function patch(root: ParentNode) {
  for (const ul of root.querySelectorAll("ul.graphiql-tabs")) {
    set(ul, "role", "group");
    set(ul, "aria-label", "Tabs");
  }
  for (const li of root.querySelectorAll("li.graphiql-tab")) {
    set(li, "role", "none");
    set(li, "aria-selected", null);
    const button = li.querySelector(".graphiql-tab-button");
    if (button) set(button, "aria-current", li.classList.contains("graphiql-tab-active") ? "true" : null);
  }
  for (const [selector, label] of labels) for (const el of root.querySelectorAll(selector)) set(el, "aria-label", label);
  for (const el of root.querySelectorAll(".CodeMirror-scroll")) set(el, "tabindex", "0");
}

export function patchGraphiQL(root: HTMLElement) {
  patch(root);
  new MutationObserver(() => patch(root)).observe(root, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["role", "aria-selected", "class", "aria-label", "tabindex"],
  });
}
