"""One module per `garauth` subcommand: each provides `add_arguments(parser)`, `run(args) -> int`
and a module docstring whose first line is the command's help (see `garauth.cli`)."""
