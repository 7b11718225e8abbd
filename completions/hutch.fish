# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_hutch_global_optspecs
    string join \n h/help V/version
end

function __fish_hutch_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_hutch_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_hutch_using_subcommand
    set -l cmd (__fish_hutch_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c hutch -n "__fish_hutch_needs_command" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_needs_command" -s V -l version -d 'Print version'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "pull" -d 'Pull an image from a registry'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "images" -d 'List images in local storage'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "image-list" -d 'List images in local storage'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "rmi" -d 'Remove one or more images'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "tag" -d 'Add names to a local image'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "inspect" -d 'Show details of containers or images as JSON'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "image" -d 'Manage images'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "run" -d 'Run a command in a new container'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "create" -d 'Create a container without starting it'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "start" -d 'Start one or more containers (detached)'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "ps" -d 'List containers'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "list" -d 'List containers'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "logs" -d 'Show the output of a container'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "stop" -d 'Stop running containers (the stop signal, then SIGKILL after a timeout)'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "kill" -d 'Send a signal to running containers'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "rm" -d 'Remove containers'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "exec" -d 'Run a command in a running container'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "wait" -d 'Wait for containers to stop and print their exit codes'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "restart" -d 'Restart containers'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "port" -d 'List a container\'s published ports'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "container" -d 'Manage containers'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "login" -d 'Log in to a registry'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "logout" -d 'Log out of a registry'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "version" -d 'Show version information'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "info" -d 'Show what hutch found on this system: store, id mappings, helpers, cgroups'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "generate" -d 'Generate man pages or shell completions from these definitions'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "__monitor" -d 'Internal: the per-container monitor, exec\'d by `run -d` and `start`'
complete -c hutch -n "__fish_hutch_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hutch -n "__fish_hutch_using_subcommand pull" -l platform -d 'Platform to pull from a multi-platform image, OS/ARCH[/VARIANT]' -r
complete -c hutch -n "__fish_hutch_using_subcommand pull" -l arch -d 'Architecture to pull (instead of --platform)' -r
complete -c hutch -n "__fish_hutch_using_subcommand pull" -l os -d 'Operating system to pull (instead of --platform)' -r
complete -c hutch -n "__fish_hutch_using_subcommand pull" -l variant -d 'Variant to pull (instead of --platform)' -r
complete -c hutch -n "__fish_hutch_using_subcommand pull" -l tls-verify -d 'Require HTTPS and verify certificates (default: as registries.conf says)' -r -f -a "true\t''
false\t''"
complete -c hutch -n "__fish_hutch_using_subcommand pull" -l authfile -d 'Path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c hutch -n "__fish_hutch_using_subcommand pull" -l creds -d 'Credentials USERNAME[:PASSWORD] for the registry' -r
complete -c hutch -n "__fish_hutch_using_subcommand pull" -s q -l quiet -d 'Print only the image id'
complete -c hutch -n "__fish_hutch_using_subcommand pull" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand images" -l format -d 'Output format: table (default), json, or a Go template such as \'{{.ID}} {{.Repository}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand images" -s a -l all -d 'Show all images, including dangling ones'
complete -c hutch -n "__fish_hutch_using_subcommand images" -s q -l quiet -d 'Print only image ids'
complete -c hutch -n "__fish_hutch_using_subcommand images" -l no-trunc -d 'Do not truncate ids'
complete -c hutch -n "__fish_hutch_using_subcommand images" -l digests -d 'Show digests'
complete -c hutch -n "__fish_hutch_using_subcommand images" -l noheading -d 'Do not print the header line'
complete -c hutch -n "__fish_hutch_using_subcommand images" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image-list" -l format -d 'Output format: table (default), json, or a Go template such as \'{{.ID}} {{.Repository}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand image-list" -s a -l all -d 'Show all images, including dangling ones'
complete -c hutch -n "__fish_hutch_using_subcommand image-list" -s q -l quiet -d 'Print only image ids'
complete -c hutch -n "__fish_hutch_using_subcommand image-list" -l no-trunc -d 'Do not truncate ids'
complete -c hutch -n "__fish_hutch_using_subcommand image-list" -l digests -d 'Show digests'
complete -c hutch -n "__fish_hutch_using_subcommand image-list" -l noheading -d 'Do not print the header line'
complete -c hutch -n "__fish_hutch_using_subcommand image-list" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand rmi" -s a -l all -d 'Remove all images'
complete -c hutch -n "__fish_hutch_using_subcommand rmi" -s f -l force -d 'Remove the image even when it has several names or is used by containers'
complete -c hutch -n "__fish_hutch_using_subcommand rmi" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand tag" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand inspect" -s f -l format -d 'Output format: json (default) or a Go template such as \'{{.Id}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image; and not __fish_seen_subcommand_from ls list pull rm tag inspect prune help" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image; and not __fish_seen_subcommand_from ls list pull rm tag inspect prune help" -f -a "ls" -d 'List images in local storage'
complete -c hutch -n "__fish_hutch_using_subcommand image; and not __fish_seen_subcommand_from ls list pull rm tag inspect prune help" -f -a "list" -d 'List images in local storage'
complete -c hutch -n "__fish_hutch_using_subcommand image; and not __fish_seen_subcommand_from ls list pull rm tag inspect prune help" -f -a "pull" -d 'Pull an image from a registry'
complete -c hutch -n "__fish_hutch_using_subcommand image; and not __fish_seen_subcommand_from ls list pull rm tag inspect prune help" -f -a "rm" -d 'Remove one or more images'
complete -c hutch -n "__fish_hutch_using_subcommand image; and not __fish_seen_subcommand_from ls list pull rm tag inspect prune help" -f -a "tag" -d 'Add names to a local image'
complete -c hutch -n "__fish_hutch_using_subcommand image; and not __fish_seen_subcommand_from ls list pull rm tag inspect prune help" -f -a "inspect" -d 'Show details of images as JSON'
complete -c hutch -n "__fish_hutch_using_subcommand image; and not __fish_seen_subcommand_from ls list pull rm tag inspect prune help" -f -a "prune" -d 'Remove unused images, layers and blobs'
complete -c hutch -n "__fish_hutch_using_subcommand image; and not __fish_seen_subcommand_from ls list pull rm tag inspect prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from ls" -l format -d 'Output format: table (default), json, or a Go template such as \'{{.ID}} {{.Repository}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from ls" -s a -l all -d 'Show all images, including dangling ones'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only image ids'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Do not truncate ids'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from ls" -l digests -d 'Show digests'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from ls" -l noheading -d 'Do not print the header line'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from list" -l format -d 'Output format: table (default), json, or a Go template such as \'{{.ID}} {{.Repository}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from list" -s a -l all -d 'Show all images, including dangling ones'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only image ids'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from list" -l no-trunc -d 'Do not truncate ids'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from list" -l digests -d 'Show digests'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from list" -l noheading -d 'Do not print the header line'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from pull" -l platform -d 'Platform to pull from a multi-platform image, OS/ARCH[/VARIANT]' -r
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from pull" -l arch -d 'Architecture to pull (instead of --platform)' -r
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from pull" -l os -d 'Operating system to pull (instead of --platform)' -r
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from pull" -l variant -d 'Variant to pull (instead of --platform)' -r
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from pull" -l tls-verify -d 'Require HTTPS and verify certificates (default: as registries.conf says)' -r -f -a "true\t''
false\t''"
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from pull" -l authfile -d 'Path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from pull" -l creds -d 'Credentials USERNAME[:PASSWORD] for the registry' -r
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from pull" -s q -l quiet -d 'Print only the image id'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from pull" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from rm" -s a -l all -d 'Remove all images'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from rm" -s f -l force -d 'Remove the image even when it has several names or is used by containers'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from tag" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Output format: json (default) or a Go template such as \'{{.Id}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from prune" -s a -l all -d 'Remove all unused images, not only dangling ones'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask for confirmation'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List images in local storage'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "pull" -d 'Pull an image from a registry'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove one or more images'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "tag" -d 'Add names to a local image'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Show details of images as JSON'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Remove unused images, layers and blobs'
complete -c hutch -n "__fish_hutch_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hutch -n "__fish_hutch_using_subcommand run" -l name -d 'Name of the container' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch\'s environment)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l env-file -d 'Read environment variables from a file (KEY=VALUE lines)' -r -F
complete -c hutch -n "__fish_hutch_using_subcommand run" -l entrypoint -d 'Override the image\'s entrypoint (a command or a JSON array)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -s w -l workdir -d 'Working directory inside the container' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -s u -l user -d 'User (name or uid) and optional group to run as: USER[:GROUP]' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l hostname -d 'Host name of the container (default: its short id)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -s v -l volume -d 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l cap-add -d 'Add a capability (e.g. NET_ADMIN, or ALL)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l cap-drop -d 'Drop a capability (e.g. CHOWN, or ALL)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l security-opt -d 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l network -l net -d 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container\'s)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -s p -l publish -d 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l dns -d 'DNS server for the container\'s /etc/resolv.conf (default: the host\'s, or the helper\'s forwarder)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l dns-search -d 'DNS search domain (\'.\' for none)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l dns-option -d 'DNS resolver option (e.g. ndots:2)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l add-host -d 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host\'s address)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l userns -d 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l stop-signal -d 'Signal that stops the container (default: the image\'s, else SIGTERM)' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l stop-timeout -d 'Seconds to wait after the stop signal before SIGKILL' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -s l -l label -d 'Set a label KEY=VALUE' -r
complete -c hutch -n "__fish_hutch_using_subcommand run" -l pull -d 'When to pull the image: missing (default), always, never' -r -f -a "missing\t''
always\t''
never\t''"
complete -c hutch -n "__fish_hutch_using_subcommand run" -s d -l detach -d 'Run in the background and print the container id'
complete -c hutch -n "__fish_hutch_using_subcommand run" -s i -l interactive -d 'Keep stdin open'
complete -c hutch -n "__fish_hutch_using_subcommand run" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c hutch -n "__fish_hutch_using_subcommand run" -l rm -d 'Remove the container when it exits'
complete -c hutch -n "__fish_hutch_using_subcommand run" -l read-only -d 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)'
complete -c hutch -n "__fish_hutch_using_subcommand run" -l privileged -d 'All capabilities, no seccomp filter, no masked paths'
complete -c hutch -n "__fish_hutch_using_subcommand run" -s P -l publish-all -d 'Publish every port the image exposes on a free host port'
complete -c hutch -n "__fish_hutch_using_subcommand run" -s q -l quiet -d 'Pull quietly'
complete -c hutch -n "__fish_hutch_using_subcommand run" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand create" -l name -d 'Name of the container' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch\'s environment)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l env-file -d 'Read environment variables from a file (KEY=VALUE lines)' -r -F
complete -c hutch -n "__fish_hutch_using_subcommand create" -l entrypoint -d 'Override the image\'s entrypoint (a command or a JSON array)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -s w -l workdir -d 'Working directory inside the container' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -s u -l user -d 'User (name or uid) and optional group to run as: USER[:GROUP]' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l hostname -d 'Host name of the container (default: its short id)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -s v -l volume -d 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l cap-add -d 'Add a capability (e.g. NET_ADMIN, or ALL)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l cap-drop -d 'Drop a capability (e.g. CHOWN, or ALL)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l security-opt -d 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l network -l net -d 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container\'s)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -s p -l publish -d 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l dns -d 'DNS server for the container\'s /etc/resolv.conf (default: the host\'s, or the helper\'s forwarder)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l dns-search -d 'DNS search domain (\'.\' for none)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l dns-option -d 'DNS resolver option (e.g. ndots:2)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l add-host -d 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host\'s address)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l userns -d 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l stop-signal -d 'Signal that stops the container (default: the image\'s, else SIGTERM)' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l stop-timeout -d 'Seconds to wait after the stop signal before SIGKILL' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -s l -l label -d 'Set a label KEY=VALUE' -r
complete -c hutch -n "__fish_hutch_using_subcommand create" -l pull -d 'When to pull the image: missing (default), always, never' -r -f -a "missing\t''
always\t''
never\t''"
complete -c hutch -n "__fish_hutch_using_subcommand create" -s d -l detach -d 'Run in the background and print the container id'
complete -c hutch -n "__fish_hutch_using_subcommand create" -s i -l interactive -d 'Keep stdin open'
complete -c hutch -n "__fish_hutch_using_subcommand create" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c hutch -n "__fish_hutch_using_subcommand create" -l rm -d 'Remove the container when it exits'
complete -c hutch -n "__fish_hutch_using_subcommand create" -l read-only -d 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)'
complete -c hutch -n "__fish_hutch_using_subcommand create" -l privileged -d 'All capabilities, no seccomp filter, no masked paths'
complete -c hutch -n "__fish_hutch_using_subcommand create" -s P -l publish-all -d 'Publish every port the image exposes on a free host port'
complete -c hutch -n "__fish_hutch_using_subcommand create" -s q -l quiet -d 'Pull quietly'
complete -c hutch -n "__fish_hutch_using_subcommand create" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand start" -s a -l attach -d 'Attach to the container\'s output and wait for it'
complete -c hutch -n "__fish_hutch_using_subcommand start" -s i -l interactive -d 'Attach stdin (with --attach)'
complete -c hutch -n "__fish_hutch_using_subcommand start" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand ps" -l format -d 'Output format: table (default), json, or a Go template such as \'{{.ID}} {{.Names}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand ps" -s a -l all -d 'Show all containers, not only running ones'
complete -c hutch -n "__fish_hutch_using_subcommand ps" -s q -l quiet -d 'Print only container ids'
complete -c hutch -n "__fish_hutch_using_subcommand ps" -l no-trunc -d 'Do not truncate ids and commands'
complete -c hutch -n "__fish_hutch_using_subcommand ps" -l noheading -d 'Do not print the header line'
complete -c hutch -n "__fish_hutch_using_subcommand ps" -s l -l latest -d 'Show only the latest created container'
complete -c hutch -n "__fish_hutch_using_subcommand ps" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand list" -l format -d 'Output format: table (default), json, or a Go template such as \'{{.ID}} {{.Names}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand list" -s a -l all -d 'Show all containers, not only running ones'
complete -c hutch -n "__fish_hutch_using_subcommand list" -s q -l quiet -d 'Print only container ids'
complete -c hutch -n "__fish_hutch_using_subcommand list" -l no-trunc -d 'Do not truncate ids and commands'
complete -c hutch -n "__fish_hutch_using_subcommand list" -l noheading -d 'Do not print the header line'
complete -c hutch -n "__fish_hutch_using_subcommand list" -s l -l latest -d 'Show only the latest created container'
complete -c hutch -n "__fish_hutch_using_subcommand list" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand logs" -l tail -d 'Show only the last N lines' -r
complete -c hutch -n "__fish_hutch_using_subcommand logs" -s f -l follow -d 'Keep following the output until the container stops'
complete -c hutch -n "__fish_hutch_using_subcommand logs" -s t -l timestamps -d 'Show timestamps'
complete -c hutch -n "__fish_hutch_using_subcommand logs" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand stop" -s t -l time -l timeout -d 'Seconds to wait before killing (default: the container\'s stop timeout, 10)' -r
complete -c hutch -n "__fish_hutch_using_subcommand stop" -s a -l all -d 'All running containers'
complete -c hutch -n "__fish_hutch_using_subcommand stop" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand kill" -s s -l signal -d 'Signal to send (name or number)' -r
complete -c hutch -n "__fish_hutch_using_subcommand kill" -s a -l all -d 'All running containers'
complete -c hutch -n "__fish_hutch_using_subcommand kill" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand rm" -s f -l force -d 'Stop and remove running containers'
complete -c hutch -n "__fish_hutch_using_subcommand rm" -s a -l all -d 'All containers'
complete -c hutch -n "__fish_hutch_using_subcommand rm" -s v -l volumes -d 'Also remove anonymous volumes'
complete -c hutch -n "__fish_hutch_using_subcommand rm" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand exec" -s e -l env -d 'Set an environment variable' -r
complete -c hutch -n "__fish_hutch_using_subcommand exec" -s u -l user -d 'User to run as: USER[:GROUP]' -r
complete -c hutch -n "__fish_hutch_using_subcommand exec" -s w -l workdir -d 'Working directory' -r
complete -c hutch -n "__fish_hutch_using_subcommand exec" -s i -l interactive -d 'Keep stdin open'
complete -c hutch -n "__fish_hutch_using_subcommand exec" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c hutch -n "__fish_hutch_using_subcommand exec" -s d -l detach -d 'Run detached'
complete -c hutch -n "__fish_hutch_using_subcommand exec" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand wait" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand restart" -s t -l time -l timeout -d 'Seconds to wait before killing (default: the container\'s stop timeout, 10)' -r
complete -c hutch -n "__fish_hutch_using_subcommand restart" -s a -l all -d 'All running containers'
complete -c hutch -n "__fish_hutch_using_subcommand restart" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand port" -s a -l all -d 'Ports of every running container'
complete -c hutch -n "__fish_hutch_using_subcommand port" -s l -l latest -d 'The latest created container'
complete -c hutch -n "__fish_hutch_using_subcommand port" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "run" -d 'Run a command in a new container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "create" -d 'Create a container without starting it'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "start" -d 'Start one or more containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "ls" -d 'List containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "ps" -d 'List containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "list" -d 'List containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "logs" -d 'Show the output of a container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "stop" -d 'Stop running containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "kill" -d 'Send a signal to running containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "rm" -d 'Remove containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "exec" -d 'Run a command in a running container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "wait" -d 'Wait for containers to stop'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "restart" -d 'Restart containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "inspect" -d 'Show details of containers as JSON'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "port" -d 'List a container\'s published ports'
complete -c hutch -n "__fish_hutch_using_subcommand container; and not __fish_seen_subcommand_from run create start ls ps list logs stop kill rm exec wait restart inspect port help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l name -d 'Name of the container' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch\'s environment)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l env-file -d 'Read environment variables from a file (KEY=VALUE lines)' -r -F
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l entrypoint -d 'Override the image\'s entrypoint (a command or a JSON array)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s w -l workdir -d 'Working directory inside the container' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s u -l user -d 'User (name or uid) and optional group to run as: USER[:GROUP]' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l hostname -d 'Host name of the container (default: its short id)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s v -l volume -d 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l cap-add -d 'Add a capability (e.g. NET_ADMIN, or ALL)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l cap-drop -d 'Drop a capability (e.g. CHOWN, or ALL)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l security-opt -d 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l network -l net -d 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container\'s)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s p -l publish -d 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l dns -d 'DNS server for the container\'s /etc/resolv.conf (default: the host\'s, or the helper\'s forwarder)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l dns-search -d 'DNS search domain (\'.\' for none)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l dns-option -d 'DNS resolver option (e.g. ndots:2)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l add-host -d 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host\'s address)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l userns -d 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l stop-signal -d 'Signal that stops the container (default: the image\'s, else SIGTERM)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l stop-timeout -d 'Seconds to wait after the stop signal before SIGKILL' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s l -l label -d 'Set a label KEY=VALUE' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l pull -d 'When to pull the image: missing (default), always, never' -r -f -a "missing\t''
always\t''
never\t''"
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s d -l detach -d 'Run in the background and print the container id'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s i -l interactive -d 'Keep stdin open'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l rm -d 'Remove the container when it exits'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l read-only -d 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -l privileged -d 'All capabilities, no seccomp filter, no masked paths'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s P -l publish-all -d 'Publish every port the image exposes on a free host port'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Pull quietly'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l name -d 'Name of the container' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch\'s environment)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l env-file -d 'Read environment variables from a file (KEY=VALUE lines)' -r -F
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l entrypoint -d 'Override the image\'s entrypoint (a command or a JSON array)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s w -l workdir -d 'Working directory inside the container' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s u -l user -d 'User (name or uid) and optional group to run as: USER[:GROUP]' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l hostname -d 'Host name of the container (default: its short id)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s v -l volume -d 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l cap-add -d 'Add a capability (e.g. NET_ADMIN, or ALL)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l cap-drop -d 'Drop a capability (e.g. CHOWN, or ALL)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l security-opt -d 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l network -l net -d 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container\'s)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s p -l publish -d 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l dns -d 'DNS server for the container\'s /etc/resolv.conf (default: the host\'s, or the helper\'s forwarder)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l dns-search -d 'DNS search domain (\'.\' for none)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l dns-option -d 'DNS resolver option (e.g. ndots:2)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l add-host -d 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host\'s address)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l userns -d 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l stop-signal -d 'Signal that stops the container (default: the image\'s, else SIGTERM)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l stop-timeout -d 'Seconds to wait after the stop signal before SIGKILL' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s l -l label -d 'Set a label KEY=VALUE' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l pull -d 'When to pull the image: missing (default), always, never' -r -f -a "missing\t''
always\t''
never\t''"
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s d -l detach -d 'Run in the background and print the container id'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s i -l interactive -d 'Keep stdin open'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l rm -d 'Remove the container when it exits'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l read-only -d 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -l privileged -d 'All capabilities, no seccomp filter, no masked paths'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s P -l publish-all -d 'Publish every port the image exposes on a free host port'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Pull quietly'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from start" -s a -l attach -d 'Attach to the container\'s output and wait for it'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from start" -s i -l interactive -d 'Attach stdin (with --attach)'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ls" -l format -d 'Output format: table (default), json, or a Go template such as \'{{.ID}} {{.Names}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ls" -s a -l all -d 'Show all containers, not only running ones'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only container ids'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Do not truncate ids and commands'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ls" -l noheading -d 'Do not print the header line'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ls" -s l -l latest -d 'Show only the latest created container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ps" -l format -d 'Output format: table (default), json, or a Go template such as \'{{.ID}} {{.Names}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ps" -s a -l all -d 'Show all containers, not only running ones'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ps" -s q -l quiet -d 'Print only container ids'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ps" -l no-trunc -d 'Do not truncate ids and commands'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ps" -l noheading -d 'Do not print the header line'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ps" -s l -l latest -d 'Show only the latest created container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from ps" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from list" -l format -d 'Output format: table (default), json, or a Go template such as \'{{.ID}} {{.Names}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from list" -s a -l all -d 'Show all containers, not only running ones'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only container ids'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from list" -l no-trunc -d 'Do not truncate ids and commands'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from list" -l noheading -d 'Do not print the header line'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from list" -s l -l latest -d 'Show only the latest created container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from logs" -l tail -d 'Show only the last N lines' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from logs" -s f -l follow -d 'Keep following the output until the container stops'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from logs" -s t -l timestamps -d 'Show timestamps'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from logs" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from stop" -s t -l time -l timeout -d 'Seconds to wait before killing (default: the container\'s stop timeout, 10)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from stop" -s a -l all -d 'All running containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from kill" -s s -l signal -d 'Signal to send (name or number)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from kill" -s a -l all -d 'All running containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from kill" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from rm" -s f -l force -d 'Stop and remove running containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from rm" -s a -l all -d 'All containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from rm" -s v -l volumes -d 'Also remove anonymous volumes'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from exec" -s e -l env -d 'Set an environment variable' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from exec" -s u -l user -d 'User to run as: USER[:GROUP]' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from exec" -s w -l workdir -d 'Working directory' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from exec" -s i -l interactive -d 'Keep stdin open'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from exec" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from exec" -s d -l detach -d 'Run detached'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from exec" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from restart" -s t -l time -l timeout -d 'Seconds to wait before killing (default: the container\'s stop timeout, 10)' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from restart" -s a -l all -d 'All running containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from restart" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Output format: json (default) or a Go template such as \'{{.Id}}\'' -r
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from port" -s a -l all -d 'Ports of every running container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from port" -s l -l latest -d 'The latest created container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from port" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run a command in a new container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a container without starting it'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start one or more containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "logs" -d 'Show the output of a container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop running containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "kill" -d 'Send a signal to running containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "exec" -d 'Run a command in a running container'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "wait" -d 'Wait for containers to stop'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "restart" -d 'Restart containers'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Show details of containers as JSON'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "port" -d 'List a container\'s published ports'
complete -c hutch -n "__fish_hutch_using_subcommand container; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hutch -n "__fish_hutch_using_subcommand login" -s u -l username -d 'Username' -r
complete -c hutch -n "__fish_hutch_using_subcommand login" -s p -l password -d 'Password (prefer --password-stdin)' -r
complete -c hutch -n "__fish_hutch_using_subcommand login" -l tls-verify -d 'Require HTTPS and verify certificates (default: as registries.conf says)' -r -f -a "true\t''
false\t''"
complete -c hutch -n "__fish_hutch_using_subcommand login" -l authfile -d 'Path of the authentication file' -r -F
complete -c hutch -n "__fish_hutch_using_subcommand login" -l password-stdin -d 'Read the password from standard input'
complete -c hutch -n "__fish_hutch_using_subcommand login" -l get-login -d 'Print the username stored for the registry'
complete -c hutch -n "__fish_hutch_using_subcommand login" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand logout" -l authfile -d 'Path of the authentication file' -r -F
complete -c hutch -n "__fish_hutch_using_subcommand logout" -s a -l all -d 'Remove credentials for all registries'
complete -c hutch -n "__fish_hutch_using_subcommand logout" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand version" -s f -l format -d 'Output format: json or a Go template' -r
complete -c hutch -n "__fish_hutch_using_subcommand version" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand info" -s f -l format -d 'Output format: json or a Go template' -r
complete -c hutch -n "__fish_hutch_using_subcommand info" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand generate" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand __monitor" -s h -l help -d 'Print help'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "pull" -d 'Pull an image from a registry'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "images" -d 'List images in local storage'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "rmi" -d 'Remove one or more images'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "tag" -d 'Add names to a local image'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "inspect" -d 'Show details of containers or images as JSON'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "image" -d 'Manage images'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "run" -d 'Run a command in a new container'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "create" -d 'Create a container without starting it'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "start" -d 'Start one or more containers (detached)'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "ps" -d 'List containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "logs" -d 'Show the output of a container'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "stop" -d 'Stop running containers (the stop signal, then SIGKILL after a timeout)'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "kill" -d 'Send a signal to running containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "rm" -d 'Remove containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "exec" -d 'Run a command in a running container'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "wait" -d 'Wait for containers to stop and print their exit codes'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "restart" -d 'Restart containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "port" -d 'List a container\'s published ports'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "container" -d 'Manage containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "login" -d 'Log in to a registry'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "logout" -d 'Log out of a registry'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "version" -d 'Show version information'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "info" -d 'Show what hutch found on this system: store, id mappings, helpers, cgroups'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "generate" -d 'Generate man pages or shell completions from these definitions'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "__monitor" -d 'Internal: the per-container monitor, exec\'d by `run -d` and `start`'
complete -c hutch -n "__fish_hutch_using_subcommand help; and not __fish_seen_subcommand_from pull images rmi tag inspect image run create start ps logs stop kill rm exec wait restart port container login logout version info generate __monitor help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from image" -f -a "ls" -d 'List images in local storage'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from image" -f -a "pull" -d 'Pull an image from a registry'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from image" -f -a "rm" -d 'Remove one or more images'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from image" -f -a "tag" -d 'Add names to a local image'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from image" -f -a "inspect" -d 'Show details of images as JSON'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from image" -f -a "prune" -d 'Remove unused images, layers and blobs'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "run" -d 'Run a command in a new container'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "create" -d 'Create a container without starting it'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "start" -d 'Start one or more containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "ls" -d 'List containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "logs" -d 'Show the output of a container'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "stop" -d 'Stop running containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "kill" -d 'Send a signal to running containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "rm" -d 'Remove containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "exec" -d 'Run a command in a running container'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "wait" -d 'Wait for containers to stop'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "restart" -d 'Restart containers'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "inspect" -d 'Show details of containers as JSON'
complete -c hutch -n "__fish_hutch_using_subcommand help; and __fish_seen_subcommand_from container" -f -a "port" -d 'List a container\'s published ports'
