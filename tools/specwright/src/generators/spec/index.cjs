'use strict';
// `nx g @specwright/nx:spec <id>`. See bin/entry.cjs for how modules are loaded.
const generator = require('../../../bin/entry.cjs').loadModule('generators/spec/generator');
module.exports = generator.specGenerator;
module.exports.default = generator.specGenerator;
