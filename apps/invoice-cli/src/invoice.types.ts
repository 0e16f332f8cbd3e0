/**
 * Hand-written contract types for the invoice specs. Spec contracts refer to these by name; the JSDoc tags
 * (`@asType`, `@minimum`, `@maximum`, ...) become part of the JSON Schema the generated code is checked against.
 * The bounds keep every intermediate product below 2^53, so all arithmetic on them is exact.
 */

/** One line of an invoice; amounts in minor units of the invoice's currency. */
export interface InvoiceLine {
  /**
   * What was sold, trimmed, never empty.
   * @minLength 1
   * @maxLength 200
   */
  description: string;
  /**
   * Quantity in thousandths (2.5 units = 2500), at most 10,000 units.
   * @asType integer
   * @minimum 0
   * @maximum 10000000
   */
  quantityMilli: number;
  /**
   * Price of one unit in minor units; negative for a discount or credit line.
   * @asType integer
   * @minimum -100000000
   * @maximum 100000000
   */
  unitPrice: number;
  /**
   * Tax rate in basis points (20% = 2000), at most 50%.
   * @asType integer
   * @minimum 0
   * @maximum 5000
   */
  taxRateBp: number;
}

/**
 * The lines of one invoice.
 * @maxItems 1000
 */
export type InvoiceLines = InvoiceLine[];

/** The rounded amounts of one line, in minor units. */
export interface LineTotals {
  /**
   * quantity × unit price, rounded half-even to a minor unit.
   * @asType integer
   * @minimum -1000000000000
   * @maximum 1000000000000
   */
  net: number;
  /**
   * net × tax rate, rounded half-even to a minor unit.
   * @asType integer
   * @minimum -500000000000
   * @maximum 500000000000
   */
  tax: number;
  /**
   * net + tax.
   * @asType integer
   * @minimum -1500000000000
   * @maximum 1500000000000
   */
  gross: number;
}

/** The totals of an invoice: per line, and summed over the lines. */
export interface InvoiceTotals {
  /**
   * One entry per input line, same order.
   * @maxItems 1000
   */
  lines: LineTotals[];
  /**
   * Sum of the lines' net amounts.
   * @asType integer
   * @minimum -1000000000000000
   * @maximum 1000000000000000
   */
  subtotal: number;
  /**
   * Sum of the lines' tax amounts.
   * @asType integer
   * @minimum -500000000000000
   * @maximum 500000000000000
   */
  tax: number;
  /**
   * subtotal + tax (equals the sum of the lines' gross amounts).
   * @asType integer
   * @minimum -1500000000000000
   * @maximum 1500000000000000
   */
  total: number;
}
