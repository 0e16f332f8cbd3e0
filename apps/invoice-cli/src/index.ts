export { computeTotals } from './totals';
export { parseInvoiceLines } from './parse-lines';
export type { InvoiceLine, InvoiceLines, InvoiceTotals, LineTotals } from './invoice.types';
