import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

/** Colour when asked for, plain text otherwise; renderers never look at the terminal themselves. */
export interface Style {
  readonly color: boolean;
  paint(format: Format, text: string): string;
}

export function style(color: boolean): Style {
  return { color, paint: (f, t) => (color ? styleText(f, t) : t) };
}
