"""Pattern lists shipped with botguard, each with its source and licence beside it."""
