export { divideRounded, roundHalfEven } from './round';
export type { RoundingMode } from './round';
export { allocate } from './allocate';
export { currencyDigits, formatMoney } from './format';
export type { CurrencyCode, FormatOptions, Money } from './money.types';
