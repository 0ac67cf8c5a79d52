/** A few lines of DOM building instead of a framework. */

export type Child = Node | string | number | null | undefined | false | Child[];

type Handlers = { [E in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[E]) => void };

export interface Attrs {
  [name: string]: string | number | boolean | null | undefined | Handlers;
  on?: Handlers;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value as Handlers)) {
        element.addEventListener(event, handler as EventListener);
      }
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let nextId = 0;
/** Unique ids for label/aria wiring. */
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** Disables a set of controls while an async action runs, and reports busy state. */
export async function busy<T>(controls: Array<HTMLButtonElement | HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>, run: () => Promise<T>): Promise<T> {
  const before = controls.map((c) => c.disabled);
  for (const control of controls) control.disabled = true;
  try {
    return await run();
  } finally {
    controls.forEach((control, i) => {
      control.disabled = before[i] ?? false;
    });
  }
}
