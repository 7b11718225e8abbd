
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'hutch' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'hutch'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'hutch' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Pull an image from a registry')
            [CompletionResult]::new('images', 'images', [CompletionResultType]::ParameterValue, 'List images in local storage')
            [CompletionResult]::new('image-list', 'image-list', [CompletionResultType]::ParameterValue, 'List images in local storage')
            [CompletionResult]::new('rmi', 'rmi', [CompletionResultType]::ParameterValue, 'Remove one or more images')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Add names to a local image')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show details of containers or images as JSON')
            [CompletionResult]::new('image', 'image', [CompletionResultType]::ParameterValue, 'Manage images')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command in a new container')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a container without starting it')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start one or more containers (detached)')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List containers')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List containers')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the output of a container')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop running containers (the stop signal, then SIGKILL after a timeout)')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Send a signal to running containers')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove containers')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a running container')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for containers to stop and print their exit codes')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Restart containers')
            [CompletionResult]::new('port', 'port', [CompletionResultType]::ParameterValue, 'List a container''s published ports')
            [CompletionResult]::new('container', 'container', [CompletionResultType]::ParameterValue, 'Manage containers')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a registry')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Log out of a registry')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Show version information')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show what hutch found on this system: store, id mappings, helpers, cgroups')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Generate man pages or shell completions from these definitions')
            [CompletionResult]::new('__monitor', '__monitor', [CompletionResultType]::ParameterValue, 'Internal: the per-container monitor, exec''d by `run -d` and `start`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hutch;pull' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Platform to pull from a multi-platform image, OS/ARCH[/VARIANT]')
            [CompletionResult]::new('--arch', '--arch', [CompletionResultType]::ParameterName, 'Architecture to pull (instead of --platform)')
            [CompletionResult]::new('--os', '--os', [CompletionResultType]::ParameterName, 'Operating system to pull (instead of --platform)')
            [CompletionResult]::new('--variant', '--variant', [CompletionResultType]::ParameterName, 'Variant to pull (instead of --platform)')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'Require HTTPS and verify certificates (default: as registries.conf says)')
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'Path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'Credentials USERNAME[:PASSWORD] for the registry')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the image id')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the image id')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;images' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Repository}}''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show all images, including dangling ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all images, including dangling ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only image ids')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only image ids')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not truncate ids')
            [CompletionResult]::new('--digests', '--digests', [CompletionResultType]::ParameterName, 'Show digests')
            [CompletionResult]::new('--noheading', '--noheading', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;image-list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Repository}}''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show all images, including dangling ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all images, including dangling ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only image ids')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only image ids')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not truncate ids')
            [CompletionResult]::new('--digests', '--digests', [CompletionResultType]::ParameterName, 'Show digests')
            [CompletionResult]::new('--noheading', '--noheading', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;rmi' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Remove all images')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove all images')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Remove the image even when it has several names or is used by containers')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Remove the image even when it has several names or is used by containers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;tag' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;inspect' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format: json (default) or a Go template such as ''{{.Id}}''')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: json (default) or a Go template such as ''{{.Id}}''')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;image' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List images in local storage')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List images in local storage')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Pull an image from a registry')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove one or more images')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Add names to a local image')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show details of images as JSON')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove unused images, layers and blobs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hutch;image;ls' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Repository}}''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show all images, including dangling ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all images, including dangling ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only image ids')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only image ids')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not truncate ids')
            [CompletionResult]::new('--digests', '--digests', [CompletionResultType]::ParameterName, 'Show digests')
            [CompletionResult]::new('--noheading', '--noheading', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;image;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Repository}}''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show all images, including dangling ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all images, including dangling ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only image ids')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only image ids')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not truncate ids')
            [CompletionResult]::new('--digests', '--digests', [CompletionResultType]::ParameterName, 'Show digests')
            [CompletionResult]::new('--noheading', '--noheading', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;image;pull' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Platform to pull from a multi-platform image, OS/ARCH[/VARIANT]')
            [CompletionResult]::new('--arch', '--arch', [CompletionResultType]::ParameterName, 'Architecture to pull (instead of --platform)')
            [CompletionResult]::new('--os', '--os', [CompletionResultType]::ParameterName, 'Operating system to pull (instead of --platform)')
            [CompletionResult]::new('--variant', '--variant', [CompletionResultType]::ParameterName, 'Variant to pull (instead of --platform)')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'Require HTTPS and verify certificates (default: as registries.conf says)')
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'Path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'Credentials USERNAME[:PASSWORD] for the registry')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the image id')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the image id')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;image;rm' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Remove all images')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove all images')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Remove the image even when it has several names or is used by containers')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Remove the image even when it has several names or is used by containers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;image;tag' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;image;inspect' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format: json (default) or a Go template such as ''{{.Id}}''')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: json (default) or a Go template such as ''{{.Id}}''')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;image;prune' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Remove all unused images, not only dangling ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove all unused images, not only dangling ones')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;image;help' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List images in local storage')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Pull an image from a registry')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove one or more images')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Add names to a local image')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show details of images as JSON')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove unused images, layers and blobs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hutch;image;help;ls' {
            break
        }
        'hutch;image;help;pull' {
            break
        }
        'hutch;image;help;rm' {
            break
        }
        'hutch;image;help;tag' {
            break
        }
        'hutch;image;help;inspect' {
            break
        }
        'hutch;image;help;prune' {
            break
        }
        'hutch;image;help;help' {
            break
        }
        'hutch;run' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the container')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read environment variables from a file (KEY=VALUE lines)')
            [CompletionResult]::new('--entrypoint', '--entrypoint', [CompletionResultType]::ParameterName, 'Override the image''s entrypoint (a command or a JSON array)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('--workdir', '--workdir', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User (name or uid) and optional group to run as: USER[:GROUP]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User (name or uid) and optional group to run as: USER[:GROUP]')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name of the container (default: its short id)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR')
            [CompletionResult]::new('--volume', '--volume', [CompletionResultType]::ParameterName, 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR')
            [CompletionResult]::new('--cap-add', '--cap-add', [CompletionResultType]::ParameterName, 'Add a capability (e.g. NET_ADMIN, or ALL)')
            [CompletionResult]::new('--cap-drop', '--cap-drop', [CompletionResultType]::ParameterName, 'Drop a capability (e.g. CHOWN, or ALL)')
            [CompletionResult]::new('--security-opt', '--security-opt', [CompletionResultType]::ParameterName, 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)')
            [CompletionResult]::new('--net', '--net', [CompletionResultType]::ParameterName, 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)')
            [CompletionResult]::new('--publish', '--publish', [CompletionResultType]::ParameterName, 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)')
            [CompletionResult]::new('--dns', '--dns', [CompletionResultType]::ParameterName, 'DNS server for the container''s /etc/resolv.conf (default: the host''s, or the helper''s forwarder)')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'DNS search domain (''.'' for none)')
            [CompletionResult]::new('--dns-option', '--dns-option', [CompletionResultType]::ParameterName, 'DNS resolver option (e.g. ndots:2)')
            [CompletionResult]::new('--add-host', '--add-host', [CompletionResultType]::ParameterName, 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host''s address)')
            [CompletionResult]::new('--userns', '--userns', [CompletionResultType]::ParameterName, 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves')
            [CompletionResult]::new('--stop-signal', '--stop-signal', [CompletionResultType]::ParameterName, 'Signal that stops the container (default: the image''s, else SIGTERM)')
            [CompletionResult]::new('--stop-timeout', '--stop-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait after the stop signal before SIGKILL')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Set a label KEY=VALUE')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Set a label KEY=VALUE')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'When to pull the image: missing (default), always, never')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run in the background and print the container id')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Run in the background and print the container id')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--tty', '--tty', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--rm', '--rm', [CompletionResultType]::ParameterName, 'Remove the container when it exits')
            [CompletionResult]::new('--read-only', '--read-only', [CompletionResultType]::ParameterName, 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)')
            [CompletionResult]::new('--privileged', '--privileged', [CompletionResultType]::ParameterName, 'All capabilities, no seccomp filter, no masked paths')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Publish every port the image exposes on a free host port')
            [CompletionResult]::new('--publish-all', '--publish-all', [CompletionResultType]::ParameterName, 'Publish every port the image exposes on a free host port')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Pull quietly')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Pull quietly')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;create' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the container')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read environment variables from a file (KEY=VALUE lines)')
            [CompletionResult]::new('--entrypoint', '--entrypoint', [CompletionResultType]::ParameterName, 'Override the image''s entrypoint (a command or a JSON array)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('--workdir', '--workdir', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User (name or uid) and optional group to run as: USER[:GROUP]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User (name or uid) and optional group to run as: USER[:GROUP]')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name of the container (default: its short id)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR')
            [CompletionResult]::new('--volume', '--volume', [CompletionResultType]::ParameterName, 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR')
            [CompletionResult]::new('--cap-add', '--cap-add', [CompletionResultType]::ParameterName, 'Add a capability (e.g. NET_ADMIN, or ALL)')
            [CompletionResult]::new('--cap-drop', '--cap-drop', [CompletionResultType]::ParameterName, 'Drop a capability (e.g. CHOWN, or ALL)')
            [CompletionResult]::new('--security-opt', '--security-opt', [CompletionResultType]::ParameterName, 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)')
            [CompletionResult]::new('--net', '--net', [CompletionResultType]::ParameterName, 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)')
            [CompletionResult]::new('--publish', '--publish', [CompletionResultType]::ParameterName, 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)')
            [CompletionResult]::new('--dns', '--dns', [CompletionResultType]::ParameterName, 'DNS server for the container''s /etc/resolv.conf (default: the host''s, or the helper''s forwarder)')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'DNS search domain (''.'' for none)')
            [CompletionResult]::new('--dns-option', '--dns-option', [CompletionResultType]::ParameterName, 'DNS resolver option (e.g. ndots:2)')
            [CompletionResult]::new('--add-host', '--add-host', [CompletionResultType]::ParameterName, 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host''s address)')
            [CompletionResult]::new('--userns', '--userns', [CompletionResultType]::ParameterName, 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves')
            [CompletionResult]::new('--stop-signal', '--stop-signal', [CompletionResultType]::ParameterName, 'Signal that stops the container (default: the image''s, else SIGTERM)')
            [CompletionResult]::new('--stop-timeout', '--stop-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait after the stop signal before SIGKILL')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Set a label KEY=VALUE')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Set a label KEY=VALUE')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'When to pull the image: missing (default), always, never')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run in the background and print the container id')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Run in the background and print the container id')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--tty', '--tty', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--rm', '--rm', [CompletionResultType]::ParameterName, 'Remove the container when it exits')
            [CompletionResult]::new('--read-only', '--read-only', [CompletionResultType]::ParameterName, 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)')
            [CompletionResult]::new('--privileged', '--privileged', [CompletionResultType]::ParameterName, 'All capabilities, no seccomp filter, no masked paths')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Publish every port the image exposes on a free host port')
            [CompletionResult]::new('--publish-all', '--publish-all', [CompletionResultType]::ParameterName, 'Publish every port the image exposes on a free host port')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Pull quietly')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Pull quietly')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;start' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Attach to the container''s output and wait for it')
            [CompletionResult]::new('--attach', '--attach', [CompletionResultType]::ParameterName, 'Attach to the container''s output and wait for it')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Attach stdin (with --attach)')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Attach stdin (with --attach)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;ps' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not truncate ids and commands')
            [CompletionResult]::new('--noheading', '--noheading', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not truncate ids and commands')
            [CompletionResult]::new('--noheading', '--noheading', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;logs' {
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Show only the last N lines')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep following the output until the container stops')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep following the output until the container stops')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show timestamps')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Show timestamps')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;stop' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;kill' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Signal to send (name or number)')
            [CompletionResult]::new('--signal', '--signal', [CompletionResultType]::ParameterName, 'Signal to send (name or number)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;rm' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Stop and remove running containers')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Stop and remove running containers')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All containers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'All containers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Also remove anonymous volumes')
            [CompletionResult]::new('--volumes', '--volumes', [CompletionResultType]::ParameterName, 'Also remove anonymous volumes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;exec' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Set an environment variable')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set an environment variable')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User to run as: USER[:GROUP]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User to run as: USER[:GROUP]')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Working directory')
            [CompletionResult]::new('--workdir', '--workdir', [CompletionResultType]::ParameterName, 'Working directory')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--tty', '--tty', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run detached')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Run detached')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;wait' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;restart' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;port' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Ports of every running container')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Ports of every running container')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'The latest created container')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'The latest created container')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command in a new container')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a container without starting it')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start one or more containers')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List containers')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List containers')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List containers')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the output of a container')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop running containers')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Send a signal to running containers')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove containers')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a running container')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for containers to stop')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Restart containers')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show details of containers as JSON')
            [CompletionResult]::new('port', 'port', [CompletionResultType]::ParameterValue, 'List a container''s published ports')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hutch;container;run' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the container')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read environment variables from a file (KEY=VALUE lines)')
            [CompletionResult]::new('--entrypoint', '--entrypoint', [CompletionResultType]::ParameterName, 'Override the image''s entrypoint (a command or a JSON array)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('--workdir', '--workdir', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User (name or uid) and optional group to run as: USER[:GROUP]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User (name or uid) and optional group to run as: USER[:GROUP]')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name of the container (default: its short id)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR')
            [CompletionResult]::new('--volume', '--volume', [CompletionResultType]::ParameterName, 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR')
            [CompletionResult]::new('--cap-add', '--cap-add', [CompletionResultType]::ParameterName, 'Add a capability (e.g. NET_ADMIN, or ALL)')
            [CompletionResult]::new('--cap-drop', '--cap-drop', [CompletionResultType]::ParameterName, 'Drop a capability (e.g. CHOWN, or ALL)')
            [CompletionResult]::new('--security-opt', '--security-opt', [CompletionResultType]::ParameterName, 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)')
            [CompletionResult]::new('--net', '--net', [CompletionResultType]::ParameterName, 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)')
            [CompletionResult]::new('--publish', '--publish', [CompletionResultType]::ParameterName, 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)')
            [CompletionResult]::new('--dns', '--dns', [CompletionResultType]::ParameterName, 'DNS server for the container''s /etc/resolv.conf (default: the host''s, or the helper''s forwarder)')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'DNS search domain (''.'' for none)')
            [CompletionResult]::new('--dns-option', '--dns-option', [CompletionResultType]::ParameterName, 'DNS resolver option (e.g. ndots:2)')
            [CompletionResult]::new('--add-host', '--add-host', [CompletionResultType]::ParameterName, 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host''s address)')
            [CompletionResult]::new('--userns', '--userns', [CompletionResultType]::ParameterName, 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves')
            [CompletionResult]::new('--stop-signal', '--stop-signal', [CompletionResultType]::ParameterName, 'Signal that stops the container (default: the image''s, else SIGTERM)')
            [CompletionResult]::new('--stop-timeout', '--stop-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait after the stop signal before SIGKILL')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Set a label KEY=VALUE')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Set a label KEY=VALUE')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'When to pull the image: missing (default), always, never')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run in the background and print the container id')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Run in the background and print the container id')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--tty', '--tty', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--rm', '--rm', [CompletionResultType]::ParameterName, 'Remove the container when it exits')
            [CompletionResult]::new('--read-only', '--read-only', [CompletionResultType]::ParameterName, 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)')
            [CompletionResult]::new('--privileged', '--privileged', [CompletionResultType]::ParameterName, 'All capabilities, no seccomp filter, no masked paths')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Publish every port the image exposes on a free host port')
            [CompletionResult]::new('--publish-all', '--publish-all', [CompletionResultType]::ParameterName, 'Publish every port the image exposes on a free host port')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Pull quietly')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Pull quietly')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;create' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the container')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set an environment variable (KEY=VALUE, or KEY to copy it from hutch''s environment)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read environment variables from a file (KEY=VALUE lines)')
            [CompletionResult]::new('--entrypoint', '--entrypoint', [CompletionResultType]::ParameterName, 'Override the image''s entrypoint (a command or a JSON array)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('--workdir', '--workdir', [CompletionResultType]::ParameterName, 'Working directory inside the container')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User (name or uid) and optional group to run as: USER[:GROUP]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User (name or uid) and optional group to run as: USER[:GROUP]')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name of the container (default: its short id)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR')
            [CompletionResult]::new('--volume', '--volume', [CompletionResultType]::ParameterName, 'Bind mount or volume: HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro], or CONTAINER-DIR')
            [CompletionResult]::new('--cap-add', '--cap-add', [CompletionResultType]::ParameterName, 'Add a capability (e.g. NET_ADMIN, or ALL)')
            [CompletionResult]::new('--cap-drop', '--cap-drop', [CompletionResultType]::ParameterName, 'Drop a capability (e.g. CHOWN, or ALL)')
            [CompletionResult]::new('--security-opt', '--security-opt', [CompletionResultType]::ParameterName, 'Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)')
            [CompletionResult]::new('--net', '--net', [CompletionResultType]::ParameterName, 'Network mode: pasta (the default when installed), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container''s)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)')
            [CompletionResult]::new('--publish', '--publish', [CompletionResultType]::ParameterName, 'Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)')
            [CompletionResult]::new('--dns', '--dns', [CompletionResultType]::ParameterName, 'DNS server for the container''s /etc/resolv.conf (default: the host''s, or the helper''s forwarder)')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'DNS search domain (''.'' for none)')
            [CompletionResult]::new('--dns-option', '--dns-option', [CompletionResultType]::ParameterName, 'DNS resolver option (e.g. ndots:2)')
            [CompletionResult]::new('--add-host', '--add-host', [CompletionResultType]::ParameterName, 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host''s address)')
            [CompletionResult]::new('--userns', '--userns', [CompletionResultType]::ParameterName, 'User namespace mode: keep-id runs as your own uid/gid, which map to themselves')
            [CompletionResult]::new('--stop-signal', '--stop-signal', [CompletionResultType]::ParameterName, 'Signal that stops the container (default: the image''s, else SIGTERM)')
            [CompletionResult]::new('--stop-timeout', '--stop-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait after the stop signal before SIGKILL')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Set a label KEY=VALUE')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Set a label KEY=VALUE')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'When to pull the image: missing (default), always, never')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run in the background and print the container id')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Run in the background and print the container id')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--tty', '--tty', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--rm', '--rm', [CompletionResultType]::ParameterName, 'Remove the container when it exits')
            [CompletionResult]::new('--read-only', '--read-only', [CompletionResultType]::ParameterName, 'Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)')
            [CompletionResult]::new('--privileged', '--privileged', [CompletionResultType]::ParameterName, 'All capabilities, no seccomp filter, no masked paths')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Publish every port the image exposes on a free host port')
            [CompletionResult]::new('--publish-all', '--publish-all', [CompletionResultType]::ParameterName, 'Publish every port the image exposes on a free host port')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Pull quietly')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Pull quietly')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;start' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Attach to the container''s output and wait for it')
            [CompletionResult]::new('--attach', '--attach', [CompletionResultType]::ParameterName, 'Attach to the container''s output and wait for it')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Attach stdin (with --attach)')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Attach stdin (with --attach)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;ls' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not truncate ids and commands')
            [CompletionResult]::new('--noheading', '--noheading', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;ps' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not truncate ids and commands')
            [CompletionResult]::new('--noheading', '--noheading', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (default), json, or a Go template such as ''{{.ID}} {{.Names}}''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show all containers, not only running ones')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only container ids')
            [CompletionResult]::new('--no-trunc', '--no-trunc', [CompletionResultType]::ParameterName, 'Do not truncate ids and commands')
            [CompletionResult]::new('--noheading', '--noheading', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'Show only the latest created container')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;logs' {
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Show only the last N lines')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep following the output until the container stops')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep following the output until the container stops')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show timestamps')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Show timestamps')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;stop' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;kill' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Signal to send (name or number)')
            [CompletionResult]::new('--signal', '--signal', [CompletionResultType]::ParameterName, 'Signal to send (name or number)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;rm' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Stop and remove running containers')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Stop and remove running containers')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All containers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'All containers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Also remove anonymous volumes')
            [CompletionResult]::new('--volumes', '--volumes', [CompletionResultType]::ParameterName, 'Also remove anonymous volumes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;exec' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Set an environment variable')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set an environment variable')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User to run as: USER[:GROUP]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User to run as: USER[:GROUP]')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Working directory')
            [CompletionResult]::new('--workdir', '--workdir', [CompletionResultType]::ParameterName, 'Working directory')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Keep stdin open')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('--tty', '--tty', [CompletionResultType]::ParameterName, 'Allocate a pseudo-terminal')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run detached')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Run detached')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;wait' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;restart' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait before killing (default: the container''s stop timeout, 10)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'All running containers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;inspect' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format: json (default) or a Go template such as ''{{.Id}}''')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: json (default) or a Go template such as ''{{.Id}}''')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;port' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Ports of every running container')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Ports of every running container')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'The latest created container')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'The latest created container')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;container;help' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command in a new container')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a container without starting it')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start one or more containers')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List containers')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the output of a container')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop running containers')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Send a signal to running containers')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove containers')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a running container')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for containers to stop')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Restart containers')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show details of containers as JSON')
            [CompletionResult]::new('port', 'port', [CompletionResultType]::ParameterValue, 'List a container''s published ports')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hutch;container;help;run' {
            break
        }
        'hutch;container;help;create' {
            break
        }
        'hutch;container;help;start' {
            break
        }
        'hutch;container;help;ls' {
            break
        }
        'hutch;container;help;logs' {
            break
        }
        'hutch;container;help;stop' {
            break
        }
        'hutch;container;help;kill' {
            break
        }
        'hutch;container;help;rm' {
            break
        }
        'hutch;container;help;exec' {
            break
        }
        'hutch;container;help;wait' {
            break
        }
        'hutch;container;help;restart' {
            break
        }
        'hutch;container;help;inspect' {
            break
        }
        'hutch;container;help;port' {
            break
        }
        'hutch;container;help;help' {
            break
        }
        'hutch;login' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Username')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Username')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Password (prefer --password-stdin)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password (prefer --password-stdin)')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'Require HTTPS and verify certificates (default: as registries.conf says)')
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'Path of the authentication file')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from standard input')
            [CompletionResult]::new('--get-login', '--get-login', [CompletionResultType]::ParameterName, 'Print the username stored for the registry')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;logout' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'Path of the authentication file')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Remove credentials for all registries')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove credentials for all registries')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;version' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format: json or a Go template')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: json or a Go template')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;info' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format: json or a Go template')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: json or a Go template')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;generate' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;__monitor' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hutch;help' {
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Pull an image from a registry')
            [CompletionResult]::new('images', 'images', [CompletionResultType]::ParameterValue, 'List images in local storage')
            [CompletionResult]::new('rmi', 'rmi', [CompletionResultType]::ParameterValue, 'Remove one or more images')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Add names to a local image')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show details of containers or images as JSON')
            [CompletionResult]::new('image', 'image', [CompletionResultType]::ParameterValue, 'Manage images')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command in a new container')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a container without starting it')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start one or more containers (detached)')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List containers')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the output of a container')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop running containers (the stop signal, then SIGKILL after a timeout)')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Send a signal to running containers')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove containers')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a running container')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for containers to stop and print their exit codes')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Restart containers')
            [CompletionResult]::new('port', 'port', [CompletionResultType]::ParameterValue, 'List a container''s published ports')
            [CompletionResult]::new('container', 'container', [CompletionResultType]::ParameterValue, 'Manage containers')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a registry')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Log out of a registry')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Show version information')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show what hutch found on this system: store, id mappings, helpers, cgroups')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Generate man pages or shell completions from these definitions')
            [CompletionResult]::new('__monitor', '__monitor', [CompletionResultType]::ParameterValue, 'Internal: the per-container monitor, exec''d by `run -d` and `start`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hutch;help;pull' {
            break
        }
        'hutch;help;images' {
            break
        }
        'hutch;help;rmi' {
            break
        }
        'hutch;help;tag' {
            break
        }
        'hutch;help;inspect' {
            break
        }
        'hutch;help;image' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List images in local storage')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Pull an image from a registry')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove one or more images')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Add names to a local image')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show details of images as JSON')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove unused images, layers and blobs')
            break
        }
        'hutch;help;image;ls' {
            break
        }
        'hutch;help;image;pull' {
            break
        }
        'hutch;help;image;rm' {
            break
        }
        'hutch;help;image;tag' {
            break
        }
        'hutch;help;image;inspect' {
            break
        }
        'hutch;help;image;prune' {
            break
        }
        'hutch;help;run' {
            break
        }
        'hutch;help;create' {
            break
        }
        'hutch;help;start' {
            break
        }
        'hutch;help;ps' {
            break
        }
        'hutch;help;logs' {
            break
        }
        'hutch;help;stop' {
            break
        }
        'hutch;help;kill' {
            break
        }
        'hutch;help;rm' {
            break
        }
        'hutch;help;exec' {
            break
        }
        'hutch;help;wait' {
            break
        }
        'hutch;help;restart' {
            break
        }
        'hutch;help;port' {
            break
        }
        'hutch;help;container' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command in a new container')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a container without starting it')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start one or more containers')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List containers')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the output of a container')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop running containers')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Send a signal to running containers')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove containers')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a running container')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for containers to stop')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Restart containers')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show details of containers as JSON')
            [CompletionResult]::new('port', 'port', [CompletionResultType]::ParameterValue, 'List a container''s published ports')
            break
        }
        'hutch;help;container;run' {
            break
        }
        'hutch;help;container;create' {
            break
        }
        'hutch;help;container;start' {
            break
        }
        'hutch;help;container;ls' {
            break
        }
        'hutch;help;container;logs' {
            break
        }
        'hutch;help;container;stop' {
            break
        }
        'hutch;help;container;kill' {
            break
        }
        'hutch;help;container;rm' {
            break
        }
        'hutch;help;container;exec' {
            break
        }
        'hutch;help;container;wait' {
            break
        }
        'hutch;help;container;restart' {
            break
        }
        'hutch;help;container;inspect' {
            break
        }
        'hutch;help;container;port' {
            break
        }
        'hutch;help;login' {
            break
        }
        'hutch;help;logout' {
            break
        }
        'hutch;help;version' {
            break
        }
        'hutch;help;info' {
            break
        }
        'hutch;help;generate' {
            break
        }
        'hutch;help;__monitor' {
            break
        }
        'hutch;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
