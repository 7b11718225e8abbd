# bash completion for hutch: candidates come from `hutch` itself (HUTCH_COMPLETE=bash), so
# they include your containers and images. Load with: source hutch.bash
_hutch() {
    local IFS=$'\013'
    COMPREPLY=( $( HUTCH_COMPLETE=bash _HUTCH_COMPLETE_PIECE="$2" hutch -- "${COMP_LINE:0:COMP_POINT}" 2>/dev/null ) )
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *[/=] ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -o nosort -F _hutch hutch
else
    complete -F _hutch hutch
fi
