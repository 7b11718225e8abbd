
use builtin;
use str;

set edit:completion:arg-completer[hutch] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'hutch'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'hutch'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand pull 'Pull an image from a registry'
            cand images 'List images in local storage'
            cand image-list 'List images in local storage'
            cand rmi 'Remove one or more images'
            cand tag 'Add names to a local image'
            cand inspect 'Show details of containers or images as JSON'
            cand image 'Manage images'
            cand run 'Run a command in a new container'
            cand create 'Create a container without starting it'
            cand start 'Start one or more containers (detached)'
            cand ps 'List containers'
            cand list 'List containers'
            cand logs 'Show the output of a container'
            cand stop 'Stop running containers (the stop signal, then SIGKILL after a timeout)'
            cand kill 'Send a signal to running containers'
            cand rm 'Remove containers'
            cand exec 'Run a command in a running container'
            cand wait 'Wait for containers to stop and print their exit codes'
            cand restart 'Restart containers'
            cand port 'List a container''s published ports'
            cand container 'Manage containers'
            cand login 'Log in to a registry'
            cand logout 'Log out of a registry'
            cand version 'Show version information'
            cand info 'Show what hutch found on this system: store, id mappings, helpers, cgroups'
            cand generate 'Generate man pages or shell completions from these definitions'
            cand __monitor 'Internal: the per-container monitor, exec''d by `run -d` and `start`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hutch;pull'= {
            cand --platform 'Platform to pull from a multi-platform image, OS/ARCH[/VARIANT]'
            cand --arch 'Architecture to pull (instead of --platform)'
            cand --os 'Operating system to pull (instead of --platform)'
            cand --variant 'Variant to pull (instead of --platform)'
            cand --tls-verify 'Require HTTPS and verify certificates (default: as registries.conf says)'
            cand --authfile 'Path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)'
            cand --creds 'Credentials USERNAME[:PASSWORD] for the registry'
            cand -q 'Print only the image id'
            cand --quiet 'Print only the image id'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;images'= {
            cand --format 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Repository}}'''
            cand -a 'Show all images, including dangling ones'
            cand --all 'Show all images, including dangling ones'
            cand -q 'Print only image ids'
            cand --quiet 'Print only image ids'
            cand --no-trunc 'Do not truncate ids'
            cand --digests 'Show digests'
            cand --noheading 'Do not print the header line'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;image-list'= {
            cand --format 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Repository}}'''
            cand -a 'Show all images, including dangling ones'
            cand --all 'Show all images, including dangling ones'
            cand -q 'Print only image ids'
            cand --quiet 'Print only image ids'
            cand --no-trunc 'Do not truncate ids'
            cand --digests 'Show digests'
            cand --noheading 'Do not print the header line'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;rmi'= {
            cand -a 'Remove all images'
            cand --all 'Remove all images'
            cand -f 'Remove the image even when it has several names or is used by containers'
            cand --force 'Remove the image even when it has several names or is used by containers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;tag'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;inspect'= {
            cand -f 'Output format: json (default) or a Go template such as ''{{.Id}}'''
            cand --format 'Output format: json (default) or a Go template such as ''{{.Id}}'''
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;image'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand ls 'List images in local storage'
            cand list 'List images in local storage'
            cand pull 'Pull an image from a registry'
            cand rm 'Remove one or more images'
            cand tag 'Add names to a local image'
            cand inspect 'Show details of images as JSON'
            cand prune 'Remove unused images, layers and blobs'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hutch;image;ls'= {
            cand --format 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Repository}}'''
            cand -a 'Show all images, including dangling ones'
            cand --all 'Show all images, including dangling ones'
            cand -q 'Print only image ids'
            cand --quiet 'Print only image ids'
            cand --no-trunc 'Do not truncate ids'
            cand --digests 'Show digests'
            cand --noheading 'Do not print the header line'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;image;list'= {
            cand --format 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Repository}}'''
            cand -a 'Show all images, including dangling ones'
            cand --all 'Show all images, including dangling ones'
            cand -q 'Print only image ids'
            cand --quiet 'Print only image ids'
            cand --no-trunc 'Do not truncate ids'
            cand --digests 'Show digests'
            cand --noheading 'Do not print the header line'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;image;pull'= {
            cand --platform 'Platform to pull from a multi-platform image, OS/ARCH[/VARIANT]'
            cand --arch 'Architecture to pull (instead of --platform)'
            cand --os 'Operating system to pull (instead of --platform)'
            cand --variant 'Variant to pull (instead of --platform)'
            cand --tls-verify 'Require HTTPS and verify certificates (default: as registries.conf says)'
            cand --authfile 'Path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)'
            cand --creds 'Credentials USERNAME[:PASSWORD] for the registry'
            cand -q 'Print only the image id'
            cand --quiet 'Print only the image id'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;image;rm'= {
            cand -a 'Remove all images'
            cand --all 'Remove all images'
            cand -f 'Remove the image even when it has several names or is used by containers'
            cand --force 'Remove the image even when it has several names or is used by containers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;image;tag'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;image;inspect'= {
            cand -f 'Output format: json (default) or a Go template such as ''{{.Id}}'''
            cand --format 'Output format: json (default) or a Go template such as ''{{.Id}}'''
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;image;prune'= {
            cand -a 'Remove all unused images, not only dangling ones'
            cand --all 'Remove all unused images, not only dangling ones'
            cand -f 'Do not ask for confirmation'
            cand --force 'Do not ask for confirmation'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;image;help'= {
            cand ls 'List images in local storage'
            cand pull 'Pull an image from a registry'
            cand rm 'Remove one or more images'
            cand tag 'Add names to a local image'
            cand inspect 'Show details of images as JSON'
            cand prune 'Remove unused images, layers and blobs'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hutch;image;help;ls'= {
        }
        &'hutch;image;help;pull'= {
        }
        &'hutch;image;help;rm'= {
        }
        &'hutch;image;help;tag'= {
        }
        &'hutch;image;help;inspect'= {
        }
        &'hutch;image;help;prune'= {
        }
        &'hutch;image;help;help'= {
        }
        &'hutch;run'= {
            cand --name 'Name of the container'
            cand -e 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)'
            cand --env 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)'
            cand --env-file 'Read environment variables from a file (KEY=VALUE lines)'
            cand --entrypoint 'Override the image''s entrypoint (a command or a JSON array)'
            cand -w 'Working directory inside the container'
            cand --workdir 'Working directory inside the container'
            cand -u 'User (name or uid) and optional group to run as: USER[:GROUP]'
            cand --user 'User (name or uid) and optional group to run as: USER[:GROUP]'
            cand --hostname 'Host name of the container (default: its short id)'
            cand -v 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR'
            cand --volume 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR'
            cand --cap-add 'Add a capability (e.g. NET_ADMIN, or ALL)'
            cand --cap-drop 'Drop a capability (e.g. CHOWN, or ALL)'
            cand --security-opt 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges'
            cand --network 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)'
            cand --net 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)'
            cand -p 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)'
            cand --publish 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)'
            cand --dns 'DNS server for the container''s /etc/resolv.conf (default: the host''s, or the helper''s forwarder)'
            cand --dns-search 'DNS search domain (''.'' for none)'
            cand --dns-option 'DNS resolver option (e.g. ndots:2)'
            cand --add-host 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host''s address)'
            cand --userns 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves'
            cand --stop-signal 'Signal that stops the container (default: the image''s, else SIGTERM)'
            cand --stop-timeout 'Seconds to wait after the stop signal before SIGKILL'
            cand -l 'Set a label KEY=VALUE'
            cand --label 'Set a label KEY=VALUE'
            cand --pull 'When to pull the image: missing (default), always, never'
            cand -d 'Run in the background and print the container id'
            cand --detach 'Run in the background and print the container id'
            cand -i 'Keep stdin open'
            cand --interactive 'Keep stdin open'
            cand -t 'Allocate a pseudo-terminal'
            cand --tty 'Allocate a pseudo-terminal'
            cand --rm 'Remove the container when it exits'
            cand --read-only 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)'
            cand --privileged 'All capabilities, no seccomp filter, no masked paths'
            cand -P 'Publish every port the image exposes on a free host port'
            cand --publish-all 'Publish every port the image exposes on a free host port'
            cand -q 'Pull quietly'
            cand --quiet 'Pull quietly'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;create'= {
            cand --name 'Name of the container'
            cand -e 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)'
            cand --env 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)'
            cand --env-file 'Read environment variables from a file (KEY=VALUE lines)'
            cand --entrypoint 'Override the image''s entrypoint (a command or a JSON array)'
            cand -w 'Working directory inside the container'
            cand --workdir 'Working directory inside the container'
            cand -u 'User (name or uid) and optional group to run as: USER[:GROUP]'
            cand --user 'User (name or uid) and optional group to run as: USER[:GROUP]'
            cand --hostname 'Host name of the container (default: its short id)'
            cand -v 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR'
            cand --volume 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR'
            cand --cap-add 'Add a capability (e.g. NET_ADMIN, or ALL)'
            cand --cap-drop 'Drop a capability (e.g. CHOWN, or ALL)'
            cand --security-opt 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges'
            cand --network 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)'
            cand --net 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)'
            cand -p 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)'
            cand --publish 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)'
            cand --dns 'DNS server for the container''s /etc/resolv.conf (default: the host''s, or the helper''s forwarder)'
            cand --dns-search 'DNS search domain (''.'' for none)'
            cand --dns-option 'DNS resolver option (e.g. ndots:2)'
            cand --add-host 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host''s address)'
            cand --userns 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves'
            cand --stop-signal 'Signal that stops the container (default: the image''s, else SIGTERM)'
            cand --stop-timeout 'Seconds to wait after the stop signal before SIGKILL'
            cand -l 'Set a label KEY=VALUE'
            cand --label 'Set a label KEY=VALUE'
            cand --pull 'When to pull the image: missing (default), always, never'
            cand -d 'Run in the background and print the container id'
            cand --detach 'Run in the background and print the container id'
            cand -i 'Keep stdin open'
            cand --interactive 'Keep stdin open'
            cand -t 'Allocate a pseudo-terminal'
            cand --tty 'Allocate a pseudo-terminal'
            cand --rm 'Remove the container when it exits'
            cand --read-only 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)'
            cand --privileged 'All capabilities, no seccomp filter, no masked paths'
            cand -P 'Publish every port the image exposes on a free host port'
            cand --publish-all 'Publish every port the image exposes on a free host port'
            cand -q 'Pull quietly'
            cand --quiet 'Pull quietly'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;start'= {
            cand -a 'Attach to the container''s output and wait for it'
            cand --attach 'Attach to the container''s output and wait for it'
            cand -i 'Attach stdin (with --attach)'
            cand --interactive 'Attach stdin (with --attach)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;ps'= {
            cand --format 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}'''
            cand -a 'Show all containers, not only running ones'
            cand --all 'Show all containers, not only running ones'
            cand -q 'Print only container ids'
            cand --quiet 'Print only container ids'
            cand --no-trunc 'Do not truncate ids and commands'
            cand --noheading 'Do not print the header line'
            cand -l 'Show only the latest created container'
            cand --latest 'Show only the latest created container'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;list'= {
            cand --format 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}'''
            cand -a 'Show all containers, not only running ones'
            cand --all 'Show all containers, not only running ones'
            cand -q 'Print only container ids'
            cand --quiet 'Print only container ids'
            cand --no-trunc 'Do not truncate ids and commands'
            cand --noheading 'Do not print the header line'
            cand -l 'Show only the latest created container'
            cand --latest 'Show only the latest created container'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;logs'= {
            cand --tail 'Show only the last N lines'
            cand -f 'Keep following the output until the container stops'
            cand --follow 'Keep following the output until the container stops'
            cand -t 'Show timestamps'
            cand --timestamps 'Show timestamps'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;stop'= {
            cand -t 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand --time 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand --timeout 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand -a 'All running containers'
            cand --all 'All running containers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;kill'= {
            cand -s 'Signal to send (name or number)'
            cand --signal 'Signal to send (name or number)'
            cand -a 'All running containers'
            cand --all 'All running containers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;rm'= {
            cand -f 'Stop and remove running containers'
            cand --force 'Stop and remove running containers'
            cand -a 'All containers'
            cand --all 'All containers'
            cand -v 'Also remove anonymous volumes'
            cand --volumes 'Also remove anonymous volumes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;exec'= {
            cand -e 'Set an environment variable'
            cand --env 'Set an environment variable'
            cand -u 'User to run as: USER[:GROUP]'
            cand --user 'User to run as: USER[:GROUP]'
            cand -w 'Working directory'
            cand --workdir 'Working directory'
            cand -i 'Keep stdin open'
            cand --interactive 'Keep stdin open'
            cand -t 'Allocate a pseudo-terminal'
            cand --tty 'Allocate a pseudo-terminal'
            cand -d 'Run detached'
            cand --detach 'Run detached'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;wait'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;restart'= {
            cand -t 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand --time 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand --timeout 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand -a 'All running containers'
            cand --all 'All running containers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;port'= {
            cand -a 'Ports of every running container'
            cand --all 'Ports of every running container'
            cand -l 'The latest created container'
            cand --latest 'The latest created container'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand run 'Run a command in a new container'
            cand create 'Create a container without starting it'
            cand start 'Start one or more containers'
            cand ls 'List containers'
            cand ps 'List containers'
            cand list 'List containers'
            cand logs 'Show the output of a container'
            cand stop 'Stop running containers'
            cand kill 'Send a signal to running containers'
            cand rm 'Remove containers'
            cand exec 'Run a command in a running container'
            cand wait 'Wait for containers to stop'
            cand restart 'Restart containers'
            cand inspect 'Show details of containers as JSON'
            cand port 'List a container''s published ports'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hutch;container;run'= {
            cand --name 'Name of the container'
            cand -e 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)'
            cand --env 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)'
            cand --env-file 'Read environment variables from a file (KEY=VALUE lines)'
            cand --entrypoint 'Override the image''s entrypoint (a command or a JSON array)'
            cand -w 'Working directory inside the container'
            cand --workdir 'Working directory inside the container'
            cand -u 'User (name or uid) and optional group to run as: USER[:GROUP]'
            cand --user 'User (name or uid) and optional group to run as: USER[:GROUP]'
            cand --hostname 'Host name of the container (default: its short id)'
            cand -v 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR'
            cand --volume 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR'
            cand --cap-add 'Add a capability (e.g. NET_ADMIN, or ALL)'
            cand --cap-drop 'Drop a capability (e.g. CHOWN, or ALL)'
            cand --security-opt 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges'
            cand --network 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)'
            cand --net 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)'
            cand -p 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)'
            cand --publish 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)'
            cand --dns 'DNS server for the container''s /etc/resolv.conf (default: the host''s, or the helper''s forwarder)'
            cand --dns-search 'DNS search domain (''.'' for none)'
            cand --dns-option 'DNS resolver option (e.g. ndots:2)'
            cand --add-host 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host''s address)'
            cand --userns 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves'
            cand --stop-signal 'Signal that stops the container (default: the image''s, else SIGTERM)'
            cand --stop-timeout 'Seconds to wait after the stop signal before SIGKILL'
            cand -l 'Set a label KEY=VALUE'
            cand --label 'Set a label KEY=VALUE'
            cand --pull 'When to pull the image: missing (default), always, never'
            cand -d 'Run in the background and print the container id'
            cand --detach 'Run in the background and print the container id'
            cand -i 'Keep stdin open'
            cand --interactive 'Keep stdin open'
            cand -t 'Allocate a pseudo-terminal'
            cand --tty 'Allocate a pseudo-terminal'
            cand --rm 'Remove the container when it exits'
            cand --read-only 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)'
            cand --privileged 'All capabilities, no seccomp filter, no masked paths'
            cand -P 'Publish every port the image exposes on a free host port'
            cand --publish-all 'Publish every port the image exposes on a free host port'
            cand -q 'Pull quietly'
            cand --quiet 'Pull quietly'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;create'= {
            cand --name 'Name of the container'
            cand -e 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)'
            cand --env 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)'
            cand --env-file 'Read environment variables from a file (KEY=VALUE lines)'
            cand --entrypoint 'Override the image''s entrypoint (a command or a JSON array)'
            cand -w 'Working directory inside the container'
            cand --workdir 'Working directory inside the container'
            cand -u 'User (name or uid) and optional group to run as: USER[:GROUP]'
            cand --user 'User (name or uid) and optional group to run as: USER[:GROUP]'
            cand --hostname 'Host name of the container (default: its short id)'
            cand -v 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR'
            cand --volume 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR'
            cand --cap-add 'Add a capability (e.g. NET_ADMIN, or ALL)'
            cand --cap-drop 'Drop a capability (e.g. CHOWN, or ALL)'
            cand --security-opt 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges'
            cand --network 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)'
            cand --net 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)'
            cand -p 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)'
            cand --publish 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)'
            cand --dns 'DNS server for the container''s /etc/resolv.conf (default: the host''s, or the helper''s forwarder)'
            cand --dns-search 'DNS search domain (''.'' for none)'
            cand --dns-option 'DNS resolver option (e.g. ndots:2)'
            cand --add-host 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host''s address)'
            cand --userns 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves'
            cand --stop-signal 'Signal that stops the container (default: the image''s, else SIGTERM)'
            cand --stop-timeout 'Seconds to wait after the stop signal before SIGKILL'
            cand -l 'Set a label KEY=VALUE'
            cand --label 'Set a label KEY=VALUE'
            cand --pull 'When to pull the image: missing (default), always, never'
            cand -d 'Run in the background and print the container id'
            cand --detach 'Run in the background and print the container id'
            cand -i 'Keep stdin open'
            cand --interactive 'Keep stdin open'
            cand -t 'Allocate a pseudo-terminal'
            cand --tty 'Allocate a pseudo-terminal'
            cand --rm 'Remove the container when it exits'
            cand --read-only 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)'
            cand --privileged 'All capabilities, no seccomp filter, no masked paths'
            cand -P 'Publish every port the image exposes on a free host port'
            cand --publish-all 'Publish every port the image exposes on a free host port'
            cand -q 'Pull quietly'
            cand --quiet 'Pull quietly'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;start'= {
            cand -a 'Attach to the container''s output and wait for it'
            cand --attach 'Attach to the container''s output and wait for it'
            cand -i 'Attach stdin (with --attach)'
            cand --interactive 'Attach stdin (with --attach)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;ls'= {
            cand --format 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}'''
            cand -a 'Show all containers, not only running ones'
            cand --all 'Show all containers, not only running ones'
            cand -q 'Print only container ids'
            cand --quiet 'Print only container ids'
            cand --no-trunc 'Do not truncate ids and commands'
            cand --noheading 'Do not print the header line'
            cand -l 'Show only the latest created container'
            cand --latest 'Show only the latest created container'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;ps'= {
            cand --format 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}'''
            cand -a 'Show all containers, not only running ones'
            cand --all 'Show all containers, not only running ones'
            cand -q 'Print only container ids'
            cand --quiet 'Print only container ids'
            cand --no-trunc 'Do not truncate ids and commands'
            cand --noheading 'Do not print the header line'
            cand -l 'Show only the latest created container'
            cand --latest 'Show only the latest created container'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;list'= {
            cand --format 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}'''
            cand -a 'Show all containers, not only running ones'
            cand --all 'Show all containers, not only running ones'
            cand -q 'Print only container ids'
            cand --quiet 'Print only container ids'
            cand --no-trunc 'Do not truncate ids and commands'
            cand --noheading 'Do not print the header line'
            cand -l 'Show only the latest created container'
            cand --latest 'Show only the latest created container'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;logs'= {
            cand --tail 'Show only the last N lines'
            cand -f 'Keep following the output until the container stops'
            cand --follow 'Keep following the output until the container stops'
            cand -t 'Show timestamps'
            cand --timestamps 'Show timestamps'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;stop'= {
            cand -t 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand --time 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand --timeout 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand -a 'All running containers'
            cand --all 'All running containers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;kill'= {
            cand -s 'Signal to send (name or number)'
            cand --signal 'Signal to send (name or number)'
            cand -a 'All running containers'
            cand --all 'All running containers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;rm'= {
            cand -f 'Stop and remove running containers'
            cand --force 'Stop and remove running containers'
            cand -a 'All containers'
            cand --all 'All containers'
            cand -v 'Also remove anonymous volumes'
            cand --volumes 'Also remove anonymous volumes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;exec'= {
            cand -e 'Set an environment variable'
            cand --env 'Set an environment variable'
            cand -u 'User to run as: USER[:GROUP]'
            cand --user 'User to run as: USER[:GROUP]'
            cand -w 'Working directory'
            cand --workdir 'Working directory'
            cand -i 'Keep stdin open'
            cand --interactive 'Keep stdin open'
            cand -t 'Allocate a pseudo-terminal'
            cand --tty 'Allocate a pseudo-terminal'
            cand -d 'Run detached'
            cand --detach 'Run detached'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;wait'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;restart'= {
            cand -t 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand --time 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand --timeout 'Seconds to wait before killing (default: the container''s stop timeout, 10)'
            cand -a 'All running containers'
            cand --all 'All running containers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;inspect'= {
            cand -f 'Output format: json (default) or a Go template such as ''{{.Id}}'''
            cand --format 'Output format: json (default) or a Go template such as ''{{.Id}}'''
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;port'= {
            cand -a 'Ports of every running container'
            cand --all 'Ports of every running container'
            cand -l 'The latest created container'
            cand --latest 'The latest created container'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;container;help'= {
            cand run 'Run a command in a new container'
            cand create 'Create a container without starting it'
            cand start 'Start one or more containers'
            cand ls 'List containers'
            cand logs 'Show the output of a container'
            cand stop 'Stop running containers'
            cand kill 'Send a signal to running containers'
            cand rm 'Remove containers'
            cand exec 'Run a command in a running container'
            cand wait 'Wait for containers to stop'
            cand restart 'Restart containers'
            cand inspect 'Show details of containers as JSON'
            cand port 'List a container''s published ports'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hutch;container;help;run'= {
        }
        &'hutch;container;help;create'= {
        }
        &'hutch;container;help;start'= {
        }
        &'hutch;container;help;ls'= {
        }
        &'hutch;container;help;logs'= {
        }
        &'hutch;container;help;stop'= {
        }
        &'hutch;container;help;kill'= {
        }
        &'hutch;container;help;rm'= {
        }
        &'hutch;container;help;exec'= {
        }
        &'hutch;container;help;wait'= {
        }
        &'hutch;container;help;restart'= {
        }
        &'hutch;container;help;inspect'= {
        }
        &'hutch;container;help;port'= {
        }
        &'hutch;container;help;help'= {
        }
        &'hutch;login'= {
            cand -u 'Username'
            cand --username 'Username'
            cand -p 'Password (prefer --password-stdin)'
            cand --password 'Password (prefer --password-stdin)'
            cand --tls-verify 'Require HTTPS and verify certificates (default: as registries.conf says)'
            cand --authfile 'Path of the authentication file'
            cand --password-stdin 'Read the password from standard input'
            cand --get-login 'Print the username stored for the registry'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;logout'= {
            cand --authfile 'Path of the authentication file'
            cand -a 'Remove credentials for all registries'
            cand --all 'Remove credentials for all registries'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;version'= {
            cand -f 'Output format: json or a Go template'
            cand --format 'Output format: json or a Go template'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;info'= {
            cand -f 'Output format: json or a Go template'
            cand --format 'Output format: json or a Go template'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;generate'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;__monitor'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hutch;help'= {
            cand pull 'Pull an image from a registry'
            cand images 'List images in local storage'
            cand rmi 'Remove one or more images'
            cand tag 'Add names to a local image'
            cand inspect 'Show details of containers or images as JSON'
            cand image 'Manage images'
            cand run 'Run a command in a new container'
            cand create 'Create a container without starting it'
            cand start 'Start one or more containers (detached)'
            cand ps 'List containers'
            cand logs 'Show the output of a container'
            cand stop 'Stop running containers (the stop signal, then SIGKILL after a timeout)'
            cand kill 'Send a signal to running containers'
            cand rm 'Remove containers'
            cand exec 'Run a command in a running container'
            cand wait 'Wait for containers to stop and print their exit codes'
            cand restart 'Restart containers'
            cand port 'List a container''s published ports'
            cand container 'Manage containers'
            cand login 'Log in to a registry'
            cand logout 'Log out of a registry'
            cand version 'Show version information'
            cand info 'Show what hutch found on this system: store, id mappings, helpers, cgroups'
            cand generate 'Generate man pages or shell completions from these definitions'
            cand __monitor 'Internal: the per-container monitor, exec''d by `run -d` and `start`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hutch;help;pull'= {
        }
        &'hutch;help;images'= {
        }
        &'hutch;help;rmi'= {
        }
        &'hutch;help;tag'= {
        }
        &'hutch;help;inspect'= {
        }
        &'hutch;help;image'= {
            cand ls 'List images in local storage'
            cand pull 'Pull an image from a registry'
            cand rm 'Remove one or more images'
            cand tag 'Add names to a local image'
            cand inspect 'Show details of images as JSON'
            cand prune 'Remove unused images, layers and blobs'
        }
        &'hutch;help;image;ls'= {
        }
        &'hutch;help;image;pull'= {
        }
        &'hutch;help;image;rm'= {
        }
        &'hutch;help;image;tag'= {
        }
        &'hutch;help;image;inspect'= {
        }
        &'hutch;help;image;prune'= {
        }
        &'hutch;help;run'= {
        }
        &'hutch;help;create'= {
        }
        &'hutch;help;start'= {
        }
        &'hutch;help;ps'= {
        }
        &'hutch;help;logs'= {
        }
        &'hutch;help;stop'= {
        }
        &'hutch;help;kill'= {
        }
        &'hutch;help;rm'= {
        }
        &'hutch;help;exec'= {
        }
        &'hutch;help;wait'= {
        }
        &'hutch;help;restart'= {
        }
        &'hutch;help;port'= {
        }
        &'hutch;help;container'= {
            cand run 'Run a command in a new container'
            cand create 'Create a container without starting it'
            cand start 'Start one or more containers'
            cand ls 'List containers'
            cand logs 'Show the output of a container'
            cand stop 'Stop running containers'
            cand kill 'Send a signal to running containers'
            cand rm 'Remove containers'
            cand exec 'Run a command in a running container'
            cand wait 'Wait for containers to stop'
            cand restart 'Restart containers'
            cand inspect 'Show details of containers as JSON'
            cand port 'List a container''s published ports'
        }
        &'hutch;help;container;run'= {
        }
        &'hutch;help;container;create'= {
        }
        &'hutch;help;container;start'= {
        }
        &'hutch;help;container;ls'= {
        }
        &'hutch;help;container;logs'= {
        }
        &'hutch;help;container;stop'= {
        }
        &'hutch;help;container;kill'= {
        }
        &'hutch;help;container;rm'= {
        }
        &'hutch;help;container;exec'= {
        }
        &'hutch;help;container;wait'= {
        }
        &'hutch;help;container;restart'= {
        }
        &'hutch;help;container;inspect'= {
        }
        &'hutch;help;container;port'= {
        }
        &'hutch;help;login'= {
        }
        &'hutch;help;logout'= {
        }
        &'hutch;help;version'= {
        }
        &'hutch;help;info'= {
        }
        &'hutch;help;generate'= {
        }
        &'hutch;help;__monitor'= {
        }
        &'hutch;help;help'= {
        }
    ]
    $completions[$command]
}
