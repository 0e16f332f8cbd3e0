'use strict';
// `nx g @specwright/nx:decompose`. See bin/entry.cjs for how modules are loaded.
module.exports = require('../../../bin/entry.cjs').loadModule('generators/decompose/generator');
