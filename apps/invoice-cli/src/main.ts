/**
 * invoice-cli: print a formatted invoice from a CSV file.
 *
 *   invoice-cli <lines.csv> [--currency USD|EUR|GBP|JPY|BHD] [--accounting]
 *
 * Hand-written glue (file I/O, arguments, layout); the logic it calls is generated from specs.
 */
import { readFileSync } from 'node:fs';
import { formatMoney, type CurrencyCode, type FormatOptions } from '@acme/money';
import type { InvoiceLine, InvoiceTotals } from './invoice.types';
import { parseInvoiceLines } from './parse-lines';
import { computeTotals } from './totals';

const CURRENCIES: readonly CurrencyCode[] = ['USD', 'EUR', 'GBP', 'JPY', 'BHD'];
const USAGE = 'usage: invoice-cli <lines.csv> [--currency USD|EUR|GBP|JPY|BHD] [--accounting]';

interface Args {
  file: string;
  currency: CurrencyCode;
  format: FormatOptions;
}

function parseArgs(argv: readonly string[]): Args {
  let file: string | undefined;
  let currency: CurrencyCode = 'USD';
  const format: FormatOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--currency') {
      const value = argv[++i]?.toUpperCase();
      if (!value || !CURRENCIES.includes(value as CurrencyCode)) throw new Error(`--currency must be one of ${CURRENCIES.join(', ')}`);
      currency = value as CurrencyCode;
    } else if (arg === '--accounting') {
      format.negative = 'parentheses';
    } else if (arg?.startsWith('-') || file !== undefined) {
      throw new Error(`unexpected argument ${arg}`);
    } else {
      file = arg;
    }
  }
  if (file === undefined) throw new Error('missing the CSV file');
  return { file, currency, format };
}

function formatQuantity(milli: number): string {
  const whole = Math.floor(milli / 1000);
  const fraction = String(milli % 1000).padStart(3, '0').replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}

export function renderInvoice(lines: readonly InvoiceLine[], totals: InvoiceTotals, currency: CurrencyCode, format: FormatOptions = {}): string {
  const money = (amount: number) => formatMoney({ amount, currency }, format);
  const rows = lines.map((line, i) => {
    const t = totals.lines[i];
    return [line.description, formatQuantity(line.quantityMilli), money(line.unitPrice), `${line.taxRateBp / 100}%`, money(t?.net ?? 0), money(t?.tax ?? 0), money(t?.gross ?? 0)];
  });
  const header = ['Description', 'Qty', 'Unit price', 'Tax', 'Net', 'Tax amount', 'Gross'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const layout = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const summary = [
    ['Subtotal', money(totals.subtotal)],
    ['Tax', money(totals.tax)],
    ['Total', money(totals.total)],
  ];
  const labelWidth = Math.max(...summary.map(([label]) => (label ?? '').length));
  const valueWidth = Math.max(...summary.map(([, value]) => (value ?? '').length));
  return [
    layout(header),
    rule,
    ...rows.map(layout),
    rule,
    ...summary.map(([label = '', value = '']) => `${label.padEnd(labelWidth)}  ${value.padStart(valueWidth)}`.padStart(rule.length)),
  ].join('\n');
}

export function main(argv: readonly string[]): number {
  try {
    const args = parseArgs(argv);
    const lines = parseInvoiceLines(readFileSync(args.file, 'utf8'), args.currency);
    const totals = computeTotals(lines);
    process.stdout.write(`${renderInvoice(lines, totals, args.currency, args.format)}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`invoice-cli: ${message}\n${message.startsWith('line ') ? '' : `${USAGE}\n`}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
