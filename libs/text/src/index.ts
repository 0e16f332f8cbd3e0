export { slugify } from './slugify';
export type { SlugifyOptions } from './slugify';
export { formatCsvLine, parseCsvLine } from './csv-line';
