// Small DOM helpers: no framework, just keyed updates so that rows (and the
// buttons in them) survive the summaries arriving several times a second.

export function byId<T extends Element = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the page`);
  return element as unknown as T;
}

const escapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** For text placed into markup built as a string (the SVG diagram). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character] ?? character);
}

/** `12:01:02.345`, local time. */
export function clock(at: number, withMs = true): string {
  const date = new Date(at);
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  const base = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return withMs ? `${base}.${pad(date.getMilliseconds(), 3)}` : base;
}

interface ElementProps {
  className?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className !== undefined) element.className = props.className;
  if (props.text !== undefined) element.textContent = props.text;
  if (props.title !== undefined) element.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** Sets text only when it changed (keeps selections and avoids layout work). */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/**
 * Makes `parent`'s children match `items` in order: elements are created
 * once per key, updated in place, and removed when their key goes away.
 */
export function syncKeyed<T>(
  parent: Element,
  items: readonly T[],
  keyOf: (item: T) => string,
  create: (item: T) => HTMLElement,
  update: (element: HTMLElement, item: T) => void,
): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(parent.children)) {
    if (child instanceof HTMLElement && child.dataset["key"] !== undefined)
      existing.set(child.dataset["key"], child);
  }
  let previous: Element | null = null;
  for (const item of items) {
    const key = keyOf(item);
    let element = existing.get(key);
    if (element === undefined) {
      element = create(item);
      element.dataset["key"] = key;
    }
    existing.delete(key);
    update(element, item);
    const expectedNext: Element | null =
      previous === null ? parent.firstElementChild : previous.nextElementSibling;
    if (expectedNext !== element) parent.insertBefore(element, expectedNext);
    previous = element;
  }
  for (const stale of existing.values()) stale.remove();
}
