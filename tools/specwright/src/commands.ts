/**
 * The shape of a `specwright` command and of the table that holds them. Its own module so that cli.ts (which owns the
 * table) and the modules that register commands into it import these types from here, never from each other.
 */

export type Command = (args: string[], workspaceRoot: string) => Promise<number>;

export interface CommandEntry {
  /** One line for `specwright --help`. */
  summary: string;
  run: Command;
  /** The full text of `specwright <name> --help`; commands without one get their summary and the global options. */
  usage?: string;
}

/** cli.ts's table; other modules add their commands through a `registerXxxCommands(commands)` function. */
export type CommandRegistry = Map<string, CommandEntry>;
