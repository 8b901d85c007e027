// The xl command table as data, in the C xl's order (tools/xl/xl_cmdtable.c),
// so `xl help` lists the same commands with the same text. Text is that of
// Xen 4.20 (= 4.21); `since`, `archs` and `older` give what the C xl of
// another release or architecture has (its #ifdefs and later edits).
// `getopt` holds each C main_xxx's SWITCH_FOREACH_OPT arguments.
//
// Entries without `load` are not implemented yet: they answer -h and usage
// errors like the C xl, then print "command not implemented" and exit 1.
import type { CommandSpec } from './types.js';

/** Xen's default XEN_SCRIPT_DIR, compiled into the remus help text. */
const XEN_SCRIPT_DIR = '/etc/xen/scripts';

export const CMD_TABLE: readonly CommandSpec[] = [
  // C main_create shifts a leading <ConfigFile> off argv before option parsing.
  {
    name: 'create',
    canDryrun: true,
    modifies: true,
    summary: 'Create a domain from config file <filename>',
    usage: '<ConfigFile> [options] [vars]',
    options:
      '-c                      Connect to the console after the domain is created.\n' +
      '-d                      Enable debug messages.\n' +
      '-e                      Do not wait in the background for the death of the domain.\n' +
      '-F                      Run in foreground until death of the domain.\n' +
      '-f FILE, --defconfig=FILE\n' +
      '                     Use the given configuration file.\n' +
      '-h                      Print this help.\n' +
      '-n, --dryrun            Dry run - prints the resulting configuration\n' +
      '                         (deprecated in favour of global -N option).\n' +
      '-p                      Leave the domain paused after it is created.\n' +
      '-q, --quiet             Quiet.\n' +
      '-V, --vncviewer         Connect to the VNC display after the domain is created.\n' +
      '-A, --vncviewer-autopass\n' +
      '                        Pass VNC password to viewer via stdin.\n' +
      '--ignore-global-affinity-masks Ignore global masks in xl.conf.',
    getopt: { short: 'AFVcdef:inpq',
      long: [
        ['defconfig', 1, 'f'],
        ['dryrun', 0, 'n'],
        ['ignore-global-affinity-masks', 0, 'i'],
        ['quiet', 0, 'q'],
        ['vncviewer', 0, 'V'],
        ['vncviewer-autopass', 0, 'A'],
      ], minArgs: 0 },
    load: () => import('./commands/create.js'),
  },
  // C main_config_update takes <Domain> (and a <ConfigFile>) off argv first;
  // its option parser names itself "config_update", so its -h finds no help.
  {
    name: 'config-update',
    canDryrun: true,
    modifies: true,
    summary:
      "Update a running domain's saved configuration, used when rebuilding the domain after reboot.\n" +
      'WARNING: xl now has better capability to manage domain configuration, avoid using this command when possible',
    usage: '<Domain> <ConfigFile> [options] [vars]',
    options:
      '-h                      Print this help.\n' +
      '-f FILE, --defconfig=FILE\n' +
      '                     Use the given configuration file.\n' +
      '-d                      Enable debug messages.\n',
    getopt: { short: 'dqf:', long: [['defconfig', 1, 'f']], minArgs: 0, helpName: 'config_update' },
  },
  {
    name: 'list',
    canDryrun: false,
    modifies: false,
    summary: 'List information about all/some domains',
    usage: '[options] [Domain]\n',
    options:
      '-l, --long              Output all VM details\n' +
      '-v, --verbose           Prints out UUIDs and security context\n' +
      '-Z, --context           Prints out security context\n' +
      '-c, --cpupool           Prints the cpupool the domain is in\n' +
      '-n, --numa              Prints out NUMA node affinity',
    getopt: { short: 'lvhZcn',
      long: [
        ['long', 0, 'l'],
        ['verbose', 0, 'v'],
        ['context', 0, 'Z'],
        ['cpupool', 0, 'c'],
        ['numa', 0, 'n'],
        ['json', 0, 'json'], // ours, not in the C xl (left out of help)
      ], minArgs: 0 },
    load: () => import('./commands/list.js'),
  },
  {
    name: 'destroy',
    canDryrun: false,
    modifies: true,
    summary: 'Terminate a domain immediately',
    usage: '[options] <Domain>\n',
    options:
      '-f                      Permit destroying domain 0, which will only succeed\n' +
      '                        when run from disaggregated toolstack domain with a\n' +
      '                        hardware domain distinct from domain 0.',
    getopt: { short: 'f', minArgs: 1 },
    load: () => import('./commands/destroy.js'),
  },
  {
    name: 'shutdown',
    canDryrun: false,
    modifies: true,
    summary: 'Issue a shutdown signal to a domain',
    usage: '[options] <-a|Domain>',
    options:
      '-a, --all               Shutdown all guest domains.\n' +
      '-h                      Print this help.\n' +
      '-F                      Fallback to ACPI power event for HVM guests with\n' +
      '                        no PV drivers.\n' +
      '-w, --wait              Wait for guest(s) to shutdown.\n',
    getopt: { short: 'awF', long: [['all', 0, 'a'], ['wait', 0, 'w']], minArgs: 0 },
    load: () => import('./commands/shutdown.js'),
  },
  {
    name: 'reboot',
    canDryrun: false,
    modifies: true,
    summary: 'Issue a reboot signal to a domain',
    usage: '[options] <-a|Domain>',
    options:
      '-a, --all               Shutdown all guest domains.\n' +
      '-h                      Print this help.\n' +
      '-F                      Fallback to ACPI reset event for HVM guests with\n' +
      '                        no PV drivers.\n' +
      '-w, --wait              Wait for guest(s) to reboot.\n',
    getopt: { short: 'awF', long: [['all', 0, 'a'], ['wait', 0, 'w']], minArgs: 0 },
    load: () => import('./commands/shutdown.js'),
  },
  {
    name: 'pci-attach',
    canDryrun: false,
    modifies: true,
    summary: 'Insert a new pass-through pci device',
    usage: '<Domain> <PCI_SPEC_STRING>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'pci-detach',
    canDryrun: false,
    modifies: true,
    summary: "Remove a domain's pass-through pci device",
    usage: '<Domain> <PCI_SPEC_STRING>',
    getopt: { short: 'f', minArgs: 2 },
  },
  {
    name: 'pci-list',
    canDryrun: false,
    modifies: false,
    summary: 'List pass-through pci devices for a domain',
    usage: '<Domain>',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'pci-assignable-add',
    canDryrun: false,
    modifies: true,
    summary: 'Make a device assignable for pci-passthru',
    usage: '[options] <BDF>',
    options:
      '-n NAME, --name=NAME    Name the assignable device.\n' +
      '-h                      Print this help.\n',
    getopt: { short: 'n:', long: [['name', 1, 'n']], minArgs: 1 },
  },
  {
    name: 'pci-assignable-remove',
    canDryrun: false,
    modifies: true,
    summary: 'Remove a device from being assignable',
    usage: '[options] <BDF>|NAME',
    options:
      '-h                      Print this help.\n' +
      '-r                      Attempt to re-assign the device to the\n' +
      '                        original driver.',
    getopt: { short: 'r', minArgs: 1 },
  },
  {
    name: 'pci-assignable-list',
    canDryrun: false,
    modifies: false,
    summary: 'List all the assignable pci devices',
    usage: '[options]',
    options:
      '-h                      Print this help.\n' +
      '-n, --show-names        Display assignable device names where\n' +
      '                        supplied.\n',
    getopt: { short: 'n', long: [['show-names', 0, 'n']], minArgs: 0 },
  },
  {
    name: 'pause',
    canDryrun: false,
    modifies: true,
    summary: 'Pause execution of a domain',
    usage: '<Domain>',
    getopt: { short: '', minArgs: 1 },
    load: () => import('./commands/pause.js'),
  },
  {
    name: 'unpause',
    canDryrun: false,
    modifies: true,
    summary: 'Unpause a paused domain',
    usage: '<Domain>',
    getopt: { short: '', minArgs: 1 },
    load: () => import('./commands/pause.js'),
  },
  {
    name: 'console',
    canDryrun: false,
    modifies: false,
    summary: "Attach to domain's console",
    usage:
      '[options] <Domain>\n' +
      '-t <type>       console type, pv , serial or vuart\n' +
      '-n <number>     console number\n' +
      '-e <escape>     escape character',
    getopt: { short: 'n:t:e:', minArgs: 1 },
    load: () => import('./commands/console.js'),
    older: [
      {
        before: '4.18',
        usage: '[options] <Domain>\n' + '-t <type>       console type, pv , serial or vuart\n' + '-n <number>     console number',
        getopt: { short: 'n:t:', minArgs: 1 },
      },
    ],
  },
  {
    name: 'vncviewer',
    canDryrun: false,
    modifies: false,
    summary: "Attach to domain's VNC server.",
    usage:
      '[options] <Domain>\n' +
      '--autopass               Pass VNC password to viewer via stdin and\n' +
      '                         -autopass\n' +
      '--vncviewer-autopass     (consistency alias for --autopass)',
    getopt: { short: 'a', long: [['autopass', 0, 'a'], ['vncviewer-autopass', 0, 'a']], minArgs: 1 },
    load: () => import('./commands/vncviewer.js'),
  },
  {
    name: 'save',
    canDryrun: false,
    modifies: true,
    summary: 'Save a domain state to restore later',
    usage: '[options] <Domain> <CheckpointFile> [<ConfigFile>]',
    options:
      '-h  Print this help.\n' +
      '-c  Leave domain running after creating the snapshot.\n' +
      '-p  Leave domain paused after creating the snapshot.\n' +
      '-D  Store the domain id in the configuration.',
    getopt: { short: 'cpD', minArgs: 2 },
    archs: ['x86', 'other'],
  },
  {
    name: 'migrate',
    canDryrun: false,
    modifies: true,
    summary: 'Migrate a domain to another host',
    usage: '[options] <Domain> <host>',
    options:
      '-h              Print this help.\n' +
      '-C <config>     Send <config> instead of config file from creation.\n' +
      '-s <sshcommand> Use <sshcommand> instead of ssh.  String will be passed\n' +
      '                to sh. If empty, run <host> instead of ssh <host> xl\n' +
      '                migrate-receive [-d -e]\n' +
      '-e              Do not wait in the background (on <host>) for the death\n' +
      '                of the domain.\n' +
      '--debug         Print huge (!) amount of debug during the migration process.\n' +
      '-p              Do not unpause domain after migrating it.\n' +
      '-D              Preserve the domain id',
    getopt: { short: 'FC:s:epD', long: [['debug', 0, 'debug'], ['live', 0, 'live']], minArgs: 2 },
    archs: ['x86', 'other'],
  },
  {
    name: 'restore',
    canDryrun: false,
    modifies: true,
    summary: 'Restore a domain from a saved state',
    usage: '[options] [<ConfigFile>] <CheckpointFile>',
    options:
      '-h                       Print this help.\n' +
      '-p                       Do not unpause domain after restoring it.\n' +
      '-e                       Do not wait in the background for the death of the domain.\n' +
      '-d                       Enable debug messages.\n' +
      '-V, --vncviewer          Connect to the VNC display after the domain is created.\n' +
      '-A, --vncviewer-autopass Pass VNC password to viewer via stdin.',
    getopt: { short: 'FcpdeVA', long: [['vncviewer', 0, 'V'], ['vncviewer-autopass', 0, 'A']], minArgs: 1 },
    archs: ['x86', 'other'],
  },
  {
    name: 'migrate-receive',
    canDryrun: false,
    modifies: true,
    summary: 'Restore a domain from a saved state',
    usage: '- for internal use only',
    getopt: { short: 'Fedrp',
      long: [
        ['colo', 0, 'colo'],
        ['coloft-script', 1, 'coloft-script'],
        ['userspace-colo-proxy', 0, 'userspace-colo-proxy'],
      ], minArgs: 0 },
    archs: ['x86', 'other'],
  },
  {
    name: 'suspend',
    canDryrun: false,
    modifies: true,
    summary: 'Suspend a domain to RAM',
    usage: '<Domain>',
    getopt: { short: '', minArgs: 1 },
    since: '4.20',
    archs: ['x86', 'other'],
  },
  // Xen 4.22 also builds resume on Arm; not modelled.
  {
    name: 'resume',
    canDryrun: false,
    modifies: true,
    summary: 'Resume a domain from RAM',
    usage: '<Domain>',
    getopt: { short: '', minArgs: 1 },
    since: '4.20',
    archs: ['x86', 'other'],
  },
  {
    name: 'dump-core',
    canDryrun: false,
    modifies: true,
    summary: 'Core dump a domain',
    usage: '<Domain> <filename>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'cd-insert',
    canDryrun: true,
    modifies: true,
    summary: "Insert a cdrom into a guest's cd drive",
    usage: '<Domain> <VirtualDevice> <path>',
    getopt: { short: '', minArgs: 3 },
    load: () => import('./commands/cd-insert.js'),
  },
  {
    name: 'cd-eject',
    canDryrun: true,
    modifies: true,
    summary: "Eject a cdrom from a guest's cd drive",
    usage: '<Domain> <VirtualDevice>',
    getopt: { short: '', minArgs: 2 },
    load: () => import('./commands/cd-insert.js'),
  },
  {
    name: 'mem-max',
    canDryrun: false,
    modifies: true,
    summary: 'Set the maximum amount reservation for a domain',
    usage: "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>",
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'mem-set',
    canDryrun: false,
    modifies: true,
    summary: 'Set the current memory usage for a domain',
    usage: "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>",
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'button-press',
    canDryrun: false,
    modifies: true,
    summary: 'Indicate an ACPI button press to the domain',
    usage: '<Domain> <Button>',
    options: "<Button> may be 'power' or 'sleep'.",
    getopt: { short: '', minArgs: 2 },
    load: () => import('./commands/trigger.js'),
  },
  {
    name: 'vcpu-list',
    canDryrun: false,
    modifies: false,
    summary: 'List the VCPUs for all/some domains',
    usage: '[Domain, ...]',
    // --json is ours (not in the C xl).
    getopt: { short: '', long: [['json', 0, 'json']], minArgs: 0 },
    load: () => import('./commands/vcpu-list.js'),
  },
  {
    name: 'vcpu-pin',
    canDryrun: true,
    modifies: true,
    summary: 'Set which CPUs a VCPU can use',
    usage: '[option] <Domain> <VCPU|all> <Hard affinity|-|all> <Soft affinity|-|all>',
    options:
      '-f, --force        undo an override pinning done by the kernel\n' +
      '--ignore-global-affinity-masks Ignore global masks in xl.conf',
    getopt: { short: 'fi', long: [['force', 0, 'f'], ['ignore-global-affinity-masks', 0, 'i']], minArgs: 3 },
  },
  {
    name: 'vcpu-set',
    canDryrun: false,
    modifies: true,
    summary: 'Set the number of active VCPUs allowed for the domain',
    usage: '[option] <Domain> <vCPUs>',
    options: "-i, --ignore-host  Don't limit the vCPU based on the host CPU count",
    getopt: { short: 'i', long: [['ignore-host', 0, 'i']], minArgs: 2 },
  },
  {
    name: 'vm-list',
    canDryrun: false,
    modifies: false,
    summary: 'List guest domains, excluding dom0, stubdoms, etc.',
    usage: '',
    getopt: { short: '', minArgs: 0 },
  },
  {
    name: 'info',
    canDryrun: false,
    modifies: false,
    summary: 'Get information about Xen host',
    usage: '-n, --numa         List host NUMA topology information',
    // --json is ours (not in the C xl).
    getopt: { short: 'n', long: [['numa', 0, 'n'], ['json', 0, 'json']], minArgs: 0 },
    load: () => import('./commands/info.js'),
  },
  {
    name: 'sharing',
    canDryrun: false,
    modifies: false,
    summary: 'Get information about page sharing',
    usage: '[Domain]',
    getopt: { short: '', minArgs: 0 },
  },
  {
    name: 'sched-credit',
    canDryrun: false,
    modifies: true,
    summary: 'Get/set credit scheduler parameters',
    usage: '[-d <Domain> [-w[=WEIGHT]|-c[=CAP]]] [-s [-t TSLICE] [-r RATELIMIT]] [-p CPUPOOL]',
    options:
      '-d DOMAIN, --domain=DOMAIN        Domain to modify\n' +
      '-w WEIGHT, --weight=WEIGHT        Weight (int)\n' +
      '-c CAP, --cap=CAP                 Cap (int)\n' +
      '-s         --schedparam           Query / modify scheduler parameters\n' +
      '-t TSLICE, --tslice_ms=TSLICE     Set the timeslice, in milliseconds\n' +
      '-r RLIMIT, --ratelimit_us=RLIMIT  Set the scheduling rate limit, in microseconds\n' +
      '-m DLY, --migration_delay_us=DLY  Set the migration delay, in microseconds\n' +
      '-p CPUPOOL, --cpupool=CPUPOOL     Restrict output to CPUPOOL',
    getopt: { short: 'd:w:c:p:t:r:m:s',
      long: [
        ['domain', 1, 'd'],
        ['weight', 1, 'w'],
        ['cap', 1, 'c'],
        ['schedparam', 0, 's'],
        ['tslice_ms', 1, 't'],
        ['ratelimit_us', 1, 'r'],
        ['migration_delay_us', 1, 'm'],
        ['cpupool', 1, 'p'],
      ], minArgs: 0 },
  },
  {
    name: 'sched-credit2',
    canDryrun: false,
    modifies: true,
    summary: 'Get/set credit2 scheduler parameters',
    usage: '[-d <Domain> [-w[=WEIGHT]]] [-p CPUPOOL]',
    options:
      '-d DOMAIN, --domain=DOMAIN     Domain to modify\n' +
      '-w WEIGHT, --weight=WEIGHT     Weight (int)\n' +
      '-c CAP,    --cap=CAP           Cap (int)\n' +
      '-s         --schedparam        Query / modify scheduler parameters\n' +
      '-r RLIMIT, --ratelimit_us=RLIMIT Set the scheduling rate limit, in microseconds\n' +
      '-p CPUPOOL, --cpupool=CPUPOOL  Restrict output to CPUPOOL',
    getopt: { short: 'd:w:c:p:r:s',
      long: [
        ['domain', 1, 'd'],
        ['weight', 1, 'w'],
        ['cap', 1, 'c'],
        ['schedparam', 0, 's'],
        ['ratelimit_us', 1, 'r'],
        ['cpupool', 1, 'p'],
      ], minArgs: 0 },
  },
  {
    name: 'sched-rtds',
    canDryrun: false,
    modifies: true,
    summary: 'Get/set rtds scheduler parameters',
    usage: '[-d <Domain> [-v[=VCPUID/all]] [-p[=PERIOD]] [-b[=BUDGET]] [-e[=Extratime]]]',
    options:
      '-d DOMAIN, --domain=DOMAIN     Domain to modify\n' +
      '-v VCPUID/all, --vcpuid=VCPUID/all    VCPU to modify or output;\n' +
      "               Using '-v all' to modify/output all vcpus\n" +
      '-p PERIOD, --period=PERIOD     Period (us)\n' +
      '-b BUDGET, --budget=BUDGET     Budget (us)\n' +
      '-e Extratime, --extratime=Extratime Extratime (1=yes, 0=no)\n',
    getopt: { short: 'd:p:b:e:v:c',
      long: [
        ['domain', 1, 'd'],
        ['period', 1, 'p'],
        ['budget', 1, 'b'],
        ['extratime', 1, 'e'],
        ['vcpuid', 1, 'v'],
        ['cpupool', 1, 'c'],
      ], minArgs: 0 },
  },
  {
    name: 'domid',
    canDryrun: false,
    modifies: false,
    summary: 'Convert a domain name to domain id',
    usage: '<DomainName>',
    getopt: { short: '', minArgs: 1 },
    load: () => import('./commands/domid.js'),
  },
  {
    name: 'domname',
    canDryrun: false,
    modifies: false,
    summary: 'Convert a domain id to domain name',
    usage: '<DomainId>',
    getopt: { short: '', minArgs: 1 },
    load: () => import('./commands/domname.js'),
  },
  {
    name: 'rename',
    canDryrun: false,
    modifies: true,
    summary: 'Rename a domain',
    usage: '<Domain> <NewDomainName>',
    getopt: { short: '', minArgs: 2 },
    load: () => import('./commands/rename.js'),
  },
  {
    name: 'trigger',
    canDryrun: false,
    modifies: true,
    summary: 'Send a trigger to a domain',
    usage: '<Domain> <nmi|reset|init|power|sleep|s3resume> [<VCPU>]',
    getopt: { short: '', minArgs: 2 },
    load: () => import('./commands/trigger.js'),
  },
  {
    name: 'sysrq',
    canDryrun: false,
    modifies: true,
    summary: 'Send a sysrq to a domain',
    usage: '<Domain> <letter>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'debug-keys',
    canDryrun: false,
    modifies: true,
    summary: 'Send debug keys to Xen',
    usage: '<Keys>',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'set-parameters',
    canDryrun: false,
    modifies: true,
    summary: 'Set hypervisor parameters',
    usage: '<Params>',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'dmesg',
    canDryrun: false,
    modifies: false,
    summary: 'Read and/or clear dmesg buffer',
    usage: '[-c]',
    options: '  -c                        Clear dmesg buffer as well as printing it',
    getopt: { short: 'c', long: [['clear', 0, 'c']], minArgs: 0 },
    load: () => import('./commands/dmesg.js'),
  },
  {
    name: 'top',
    canDryrun: false,
    modifies: false,
    summary: 'Monitor a host and the domains in real time',
    usage: '',
    getopt: { short: '', minArgs: 0 },
  },
  {
    name: 'network-attach',
    canDryrun: true,
    modifies: true,
    summary: 'Create a new virtual network device',
    usage: '<Domain> [type=<type>] [mac=<mac>] [bridge=<bridge>] [ip=<ip>] [script=<script>] [backend=<BackDomain>] [vifname=<name>] [rate=<rate>] [model=<model>] [accel=<accel>] [mtu=<mtu>]',
    getopt: { short: '', minArgs: 1 },
    load: () => import('./commands/network.js'),
  },
  {
    name: 'network-list',
    canDryrun: false,
    modifies: false,
    summary: 'List virtual network interfaces for a domain',
    usage: '<Domain(s)>',
    getopt: { short: '', minArgs: 1 },
    load: () => import('./commands/network.js'),
  },
  {
    name: 'network-detach',
    canDryrun: false,
    modifies: true,
    summary: "Destroy a domain's virtual network device",
    usage: '<Domain> <DevId|mac>',
    getopt: { short: '', minArgs: 2 },
    load: () => import('./commands/network.js'),
  },
  {
    name: 'channel-list',
    canDryrun: false,
    modifies: false,
    summary: 'List virtual channel devices for a domain',
    usage: '<Domain(s)>',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'block-attach',
    canDryrun: true,
    modifies: true,
    summary: 'Create a new virtual block device',
    usage: '<Domain> <disk-spec-component(s)>...',
    getopt: { short: '', minArgs: 2 },
    load: () => import('./commands/block.js'),
  },
  {
    name: 'block-list',
    canDryrun: false,
    modifies: false,
    summary: 'List virtual block devices for a domain',
    usage: '<Domain(s)>',
    getopt: { short: '', minArgs: 1 },
    load: () => import('./commands/block.js'),
  },
  {
    name: 'block-detach',
    canDryrun: false,
    modifies: true,
    summary: "Destroy a domain's virtual block device",
    usage: '[option] <Domain> <DevId>',
    options: '-f, --force        do not wait for the domain to release the device',
    getopt: { short: 'f', long: [['force', 0, 'f']], minArgs: 2 },
    load: () => import('./commands/block.js'),
  },
  {
    name: 'vtpm-attach',
    canDryrun: true,
    modifies: true,
    summary: 'Create a new virtual TPM device',
    usage: '<Domain> [uuid=<uuid>] [backend=<BackDomain>]',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'vtpm-list',
    canDryrun: false,
    modifies: false,
    summary: 'List virtual TPM devices for a domain',
    usage: '<Domain(s)>',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'vtpm-detach',
    canDryrun: false,
    modifies: true,
    summary: "Destroy a domain's virtual TPM device",
    usage: '<Domain> <DevId|uuid>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'vkb-attach',
    canDryrun: true,
    modifies: true,
    summary: 'Create a new virtual keyboard device',
    usage: '<Domain> <vkb-spec-component(s)>...',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'vkb-list',
    canDryrun: false,
    modifies: false,
    summary: 'List virtual keyboard devices for a domain',
    usage: '<Domain(s)>',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'vkb-detach',
    canDryrun: false,
    modifies: true,
    summary: "Destroy a domain's virtual keyboard device",
    usage: '<Domain> <DevId>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'vdispl-attach',
    canDryrun: true,
    modifies: true,
    summary: 'Create a new virtual display device',
    usage: "<Domain> [backend=<BackDomain>] [be-alloc=<BackAlloc>] [connectors='<Connectors>']",
    options:
      '    BackAlloc  - set to 1 to if backend allocates display buffers\n' +
      "    Connectors - list of connector's description in ID:WxH format,\n" +
      '                 where: ID - unique connector ID, W - connector width,\n' +
      "                 H - connector height: connectors='id0:800x600;id1:1024x768'\n",
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'vdispl-list',
    canDryrun: false,
    modifies: false,
    summary: 'List virtual display devices for a domain',
    usage: '<Domain(s)>',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'vdispl-detach',
    canDryrun: false,
    modifies: true,
    summary: "Destroy a domain's virtual display device",
    usage: '<Domain> <DevId>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'vsnd-attach',
    canDryrun: true,
    modifies: true,
    summary: 'Create a new virtual sound device',
    usage: '<Domain> <vsnd-spec-component(s)>...',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'vsnd-list',
    canDryrun: false,
    modifies: false,
    summary: 'List virtual sound devices for a domain',
    usage: '<Domain(s)>',
    getopt: { short: '', minArgs: 1 },
    older: [{ before: '4.20', summary: 'List virtual display devices for a domain' }],
  },
  {
    name: 'vsnd-detach',
    canDryrun: false,
    modifies: true,
    summary: "Destroy a domain's virtual sound device",
    usage: '<Domain> <DevId>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'uptime',
    canDryrun: false,
    modifies: false,
    summary: 'Print uptime for all/some domains',
    usage: '[-s] [Domain]',
    // --json is ours (not in the C xl).
    getopt: { short: 's', long: [['json', 0, 'json']], minArgs: 0 },
    load: () => import('./commands/uptime.js'),
  },
  {
    name: 'claims',
    canDryrun: false,
    modifies: false,
    summary: 'List outstanding claim information about all domains',
    usage: '',
    options: '',
    getopt: { short: '', minArgs: 0 },
  },
  {
    name: 'cpupool-create',
    canDryrun: true,
    modifies: true,
    summary: 'Create a new CPU pool',
    usage: '[options] [<ConfigFile>] [Variable=value ...]',
    options:
      '-h, --help                   Print this help.\n' +
      '-f FILE, --defconfig=FILE    Use the given configuration file.\n' +
      '-n, --dryrun                 Dry run - prints the resulting configuration.\n' +
      '                              (deprecated in favour of global -N option).\n' +
      '\n' +
      'See the xlcpupool.cfg(5) manpage for more information.',
    getopt: { short: 'nf:', long: [['defconfig', 1, 'f'], ['dryrun', 0, 'n']], minArgs: 0 },
  },
  {
    name: 'cpupool-list',
    canDryrun: false,
    modifies: false,
    summary: 'List CPU pools on host',
    usage: '[-c|--cpus] [<CPU Pool>]',
    options: '-c, --cpus                     Output list of CPUs used by a pool',
    getopt: { short: 'c', long: [['cpus', 0, 'c']], minArgs: 0 },
  },
  {
    name: 'cpupool-destroy',
    canDryrun: false,
    modifies: true,
    summary: 'Deactivates a CPU pool',
    usage: '<CPU Pool>',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'cpupool-rename',
    canDryrun: false,
    modifies: true,
    summary: 'Renames a CPU pool',
    usage: '<CPU Pool> <new name>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'cpupool-cpu-add',
    canDryrun: false,
    modifies: true,
    summary: 'Adds a CPU to a CPU pool',
    usage: '<CPU Pool> <CPU nr>|node:<node nr>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'cpupool-cpu-remove',
    canDryrun: false,
    modifies: true,
    summary: 'Removes a CPU from a CPU pool',
    usage: '<CPU Pool> <CPU nr>|node:<node nr>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'cpupool-migrate',
    canDryrun: false,
    modifies: true,
    summary: 'Moves a domain into a CPU pool',
    usage: '<Domain> <CPU Pool>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'cpupool-numa-split',
    canDryrun: false,
    modifies: true,
    summary: 'Splits up the machine into one CPU pool per NUMA node',
    usage: '',
    getopt: { short: '', minArgs: 0 },
  },
  // No option parsing in C: arguments are ignored.
  {
    name: 'getenforce',
    canDryrun: false,
    modifies: false,
    summary: 'Returns the current enforcing mode of the Flask Xen security module',
    usage: '',
    getopt: null,
  },
  // No option parsing in C: the first argument is the mode.
  {
    name: 'setenforce',
    canDryrun: false,
    modifies: true,
    summary: 'Sets the current enforcing mode of the Flask Xen security module',
    usage: '<1|0|Enforcing|Permissive>',
    getopt: null,
  },
  // No option parsing in C: the first argument is the policy file.
  {
    name: 'loadpolicy',
    canDryrun: false,
    modifies: true,
    summary: 'Loads a new policy into the Flask Xen security module',
    usage: '<policy file>',
    getopt: null,
  },
  {
    name: 'remus',
    canDryrun: false,
    modifies: true,
    summary: 'Enable Remus HA for domain',
    usage: '[options] <Domain> [<host>]',
    options:
      '-i MS                   Checkpoint domain memory every MS milliseconds (def. 200ms).\n' +
      '-u                      Disable memory checkpoint compression.\n' +
      '-s <sshcommand>         Use <sshcommand> instead of ssh.  String will be passed\n' +
      '                        to sh. If empty, run <host> instead of \n' +
      '                        ssh <host> xl migrate-receive -r [-e]\n' +
      '-e                      Do not wait in the background (on <host>) for the death\n' +
      '                        of the domain.\n' +
      '-N <netbufscript>       Use netbufscript to setup network buffering instead of the\n' +
      '                        default script (' + XEN_SCRIPT_DIR + '/remus-netbuf-setup).\n' +
      '-F                      Enable unsafe configurations [-b|-n|-d flags]. Use this option\n' +
      '                        with caution as failover may not work as intended.\n' +
      '-b                      Replicate memory checkpoints to /dev/null (blackhole).\n' +
      '                        Works only in unsafe mode.\n' +
      '-n                      Disable network output buffering. Works only in unsafe mode.\n' +
      '-d                      Disable disk replication. Works only in unsafe mode.\n' +
      '-c                      Enable COLO HA. It is conflict with -i and -b, and memory\n' +
      '                        checkpoint must be disabled.\n' +
      '-p                      Use COLO userspace proxy.',
    getopt: { short: 'Fbundi:s:N:ecp', minArgs: 2 },
    archs: ['x86', 'other'],
  },
  {
    name: 'devd',
    canDryrun: false,
    modifies: true,
    summary: 'Daemon that listens for devices and launches backends',
    usage: '[options]',
    options:
      '-F                      Run in the foreground.\n' +
      '-p, --pidfile [FILE]    Write PID to pidfile when daemonizing.',
    getopt: { short: 'Fp:', long: [['pidfile', 1, 'p']], minArgs: 0 },
  },
  {
    name: 'psr-hwinfo',
    canDryrun: false,
    modifies: true,
    summary: 'Show hardware information for Platform Shared Resource',
    usage: '[options]',
    options:
      '-m, --cmt       Show Cache Monitoring Technology (CMT) hardware info\n' +
      '-a, --cat       Show Cache Allocation Technology (CAT) hardware info\n' +
      '-b, --mba       Show Memory Bandwidth Allocation (MBA) hardware info\n',
    getopt: { short: 'mab', long: [['cmt', 0, 'm'], ['cat', 0, 'a'], ['mba', 0, 'b']], minArgs: 0 },
    archs: ['x86'],
  },
  {
    name: 'psr-cmt-attach',
    canDryrun: false,
    modifies: true,
    summary: 'Attach Cache Monitoring Technology service to a domain',
    usage: '<Domain>',
    getopt: { short: '', minArgs: 1 },
    archs: ['x86'],
  },
  {
    name: 'psr-cmt-detach',
    canDryrun: false,
    modifies: true,
    summary: 'Detach Cache Monitoring Technology service from a domain',
    usage: '<Domain>',
    getopt: { short: '', minArgs: 1 },
    archs: ['x86'],
  },
  {
    name: 'psr-cmt-show',
    canDryrun: false,
    modifies: true,
    summary: 'Show Cache Monitoring Technology information',
    usage: '<PSR-CMT-Type> <Domain>',
    options:
      'Available monitor types:\n' +
      '"cache-occupancy":         Show L3 cache occupancy(KB)\n' +
      '"total-mem-bandwidth":     Show total memory bandwidth(KB/s)\n' +
      '"local-mem-bandwidth":     Show local memory bandwidth(KB/s)\n',
    getopt: { short: '', minArgs: 1 },
    archs: ['x86'],
  },
  {
    name: 'psr-cat-set',
    canDryrun: false,
    modifies: true,
    summary: 'Set cache capacity bitmasks(CBM) for a domain',
    usage: '[options] <Domain> <CBM>',
    options:
      '-s <socket>       Specify the socket to process, otherwise all sockets are processed\n' +
      '-l <level>        Specify the cache level to process, otherwise L3 cache is processed\n' +
      '-c                Set code CBM if CDP is supported\n' +
      '-d                Set data CBM if CDP is supported\n',
    getopt: { short: 's:l:cd',
      long: [
        ['socket', 1, 's'],
        ['data', 0, 'd'],
        ['code', 0, 'c'],
        ['level', 1, 'l'],
      ], minArgs: 2 },
    archs: ['x86'],
  },
  {
    name: 'psr-cat-show',
    canDryrun: false,
    modifies: true,
    summary: 'Show Cache Allocation Technology information',
    usage: '[options] <Domain>',
    options: '-l <level>        Specify the cache level to process, otherwise L3 cache is processed\n',
    getopt: { short: 'l:', long: [['level', 1, 'l']], minArgs: 0 },
    archs: ['x86'],
  },
  {
    name: 'psr-mba-set',
    canDryrun: false,
    modifies: true,
    summary: 'Set throttling value (THRTL) for a domain',
    usage: '[options] <Domain> <THRTL>',
    options: '-s <socket>       Specify the socket to process, otherwise all sockets are processed\n',
    getopt: { short: 's:', long: [['socket', 1, 's']], minArgs: 0 },
    archs: ['x86'],
  },
  {
    name: 'psr-mba-show',
    canDryrun: false,
    modifies: true,
    summary: 'Show Memory Bandwidth Allocation information',
    usage: '<Domain>',
    getopt: { short: '', minArgs: 0 },
    archs: ['x86'],
  },
  {
    name: 'usbctrl-attach',
    canDryrun: false,
    modifies: true,
    summary: 'Create a virtual USB controller for a domain',
    usage: '<Domain> [type=pv] [version=<version>] [ports=<number>]',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'usbctrl-detach',
    canDryrun: false,
    modifies: true,
    summary: 'Remove the virtual USB controller specified by <DevId> for a domain',
    usage: '<Domain> <DevId>',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'usbdev-attach',
    canDryrun: false,
    modifies: true,
    summary: 'Attach a USB device to a domain',
    usage: '<Domain> hostbus=<busnum> hostaddr=<devnum> [controller=<DevId> [port=<port>]]',
    getopt: { short: '', minArgs: 2 },
  },
  {
    name: 'usbdev-detach',
    canDryrun: false,
    modifies: true,
    summary: 'Detach a USB device from a domain',
    usage: '<Domain> <controller> <port>',
    getopt: { short: '', minArgs: 3 },
  },
  {
    name: 'usb-list',
    canDryrun: false,
    modifies: false,
    summary: 'List information about all USB controllers and devices for a domain',
    usage: '<Domain>',
    getopt: { short: '', minArgs: 1 },
  },
  {
    name: 'qemu-monitor-command',
    canDryrun: false,
    modifies: true,
    summary: 'Issue a qemu monitor command to the device model of a domain',
    usage: '<Domain> <Command>',
    getopt: { short: '', minArgs: 2 },
    load: () => import('./commands/qemu-monitor-command.js'),
  },
  // No option parsing in C; only built where libxl has DT overlays (Arm).
  {
    name: 'dt-overlay',
    canDryrun: false,
    modifies: true,
    summary: 'Add/Remove a device tree overlay to Xen device tree, attach/detach the device to a domain',
    usage: '<operation=add|remove> <.dtbo> OR <operation=attach> <.dtbo> <Domain>',
    options: '-h print this help\n',
    getopt: null,
    since: '4.18',
    archs: ['arm'],
    older: [
      // 4.18's missing comma in C glued the options onto the usage string.
      { before: '4.19', summary: 'Add/Remove a device tree overlay', usage: 'add/remove <.dtbo>-h print this help\n', options: undefined },
    ],
  },
  // No option parsing in C: checks its argument count itself.
  {
    name: 'xenstore-quota-get',
    canDryrun: false,
    modifies: false,
    summary: 'List global or domain specific Xenstore quotas',
    usage: '<Domain>|-g',
    getopt: null,
    since: '4.22',
  },
  // No option parsing in C: checks its argument count itself.
  {
    name: 'xenstore-quota-set',
    canDryrun: false,
    modifies: true,
    summary: 'Set global or domain specific Xenstore quotas',
    usage: '<Domain>|-g <quota>=<val>...',
    getopt: null,
    since: '4.22',
  },
  // Ours: the C xl has no version command.
  {
    name: 'version',
    canDryrun: true,
    modifies: false,
    summary: 'Print the xenlight-ts and Node versions and which Xen interfaces this host has',
    usage: '[options]',
    options: '--json                  Print as JSON.',
    getopt: { short: '', long: [['json', 0, 'json']], minArgs: 0 },
    hidden: true,
    load: () => import('./commands/version.js'),
  },
];
