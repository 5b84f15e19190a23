import { inspect } from 'node:util';

type Format = keyof typeof inspect.colors;

/** Colour when asked for, plain text otherwise; renderers never look at the terminal themselves. */
export interface Style {
  readonly color: boolean;
  paint(format: Format, text: string): string;
}

export function style(color: boolean): Style {
  return {
    color,
    paint: (f, t) => {
      if (!color) return t;
      const [open, close] = inspect.colors[f] ?? [0, 0];
      return `\u001b[${open}m${t}\u001b[${close}m`;
    },
  };
}
