
set edit:completion:arg-completer[hutch] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) HUTCH_COMPLETE="elvish" hutch -- $@words) | to-lines
}

