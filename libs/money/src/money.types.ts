/**
 * Hand-written contract types for the money specs. Spec contracts refer to these by name (`type: Money`); Specwright
 * turns them into JSON Schema, JSDoc tags included (`@asType`, `@minimum`, `@maximum`), so keep the tags accurate.
 */

/** ISO 4217 code of a currency the money library supports. */
export type CurrencyCode = 'USD' | 'EUR' | 'JPY' | 'BHD' | 'GBP';

/** An amount of money as an integer number of minor units (cents for USD, yen for JPY, fils for BHD). */
export interface Money {
  /**
   * Integer number of minor units; negative for credits and refunds. Any safe integer.
   * @asType integer
   * @minimum -9007199254740991
   * @maximum 9007199254740991
   */
  amount: number;
  /** The currency; it fixes how many minor-unit digits the amount has. */
  currency: CurrencyCode;
}

/** How `formatMoney` renders an amount. Every field is optional. */
export interface FormatOptions {
  /** `symbol` (default): `$1,234.56`; `code`: `USD 1,234.56`. */
  display?: 'symbol' | 'code';
  /** `minus` (default): `-$1.00`; `parentheses` (accounting): `($1.00)`. */
  negative?: 'minus' | 'parentheses';
}
