'use strict';
// `nx g @specwright/nx:init` (what `nx add @specwright/nx` runs). See bin/entry.cjs for how modules are loaded.
const generator = require('../../../bin/entry.cjs').loadModule('generators/init/generator');
module.exports = generator.initGenerator;
module.exports.default = generator.initGenerator;
