complete --keep-order --exclusive --command hutch --arguments "(HUTCH_COMPLETE=fish hutch -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
