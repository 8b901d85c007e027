// CPUID names of xl 4.17 as Debian 12 ships it (RELEASE-4.17.7): the 4.17
// stable line took 4.20's libxl_cpuid_parse_config (featureset names, MSR
// policy, {cpuid, msr} JSON), so only the names differ. FLAGS: libxl's own
// table, 4.20's plus pbe and btc-no (name, leaf (hex), subleaf (- for none),
// register, first bit, width). FEATURES: cpufeatureset.h of RELEASE-4.17.7
// (lower case, _ as -) with featureset bit numbers.
import { CPUID_FLAGS_420 } from './cpuid-names-4.20.js';

export const CPUID_FLAGS_417 = [CPUID_FLAGS_420, 'pbe 1 - d 31 1;btc-no 80000008 - b 29 1'].join(';');

export const CPUID_FEATURES_417 = [
  '3dnow 95;3dnowext 94;3dnowprefetch 104;abm 101;acpi 22;adx 179;aesni 57;amd-ppin 279;amd-ssbd 280',
  'amd-stibp 271;apic 9;arch-caps 317;auto-ibrs 360;avx 60;avx-vnni 324;avx2 165;avx512-4fmaps 291',
  'avx512-4vnniw 290;avx512-bf16 325;avx512-bitalg 204;avx512-fp16 311;avx512-ifma 181;avx512-vbmi 193',
  'avx512-vbmi2 198;avx512-vnni 203;avx512-vp2intersect 296;avx512-vpopcntdq 206;avx512bw 190',
  'avx512cd 188;avx512dq 177;avx512er 187;avx512f 176;avx512pf 186;avx512vl 191;bhi-ctrl 420;bhi-no 532',
  'bmi1 163;bmi2 168;btc-no 285;cet-ibt 308;cet-ss 199;cet-sss 498;cldemote 217;clflush 19',
  'clflushopt 183;clwb 184;clzero 256;cmov 15;cmp-legacy 97;core-caps 318;cpb 233;cr8-legacy 100',
  'cx16 45;cx8 8;dbext 122;dca 50;de 2;doitm 524;ds 21;dscpl 36;dtes64 34;efro 234;eibrs 513;eist 39',
  'energy-filtering 523;enqcmd 221;erms 169;extapic 99;f16c 61;fb-clear 529;fb-clear-ctrl 530',
  'fbsdp-no 526;fdp-excp-only 166;ffxsr 89;fma 44;fma4 112;fpu 0;fsgsbase 160;fsrcs 332;fsrm 292',
  'fsrs 331;fxsr 24;fzrm 330;gds-ctrl 537;gds-no 538;gfni 200;hle 164;htt 28;hw-pstate 231;hybrid 303',
  'hypervisor 63;ibpb 268;ibpb-brtype 380;ibpb-ret 286;ibrs 270;ibrs-always 272;ibrs-fast 274',
  'ibrs-same-mode 275;ibrsb 314;ibs 106;if-pschange-mc-no 518;intel-ppin 384;intel-psfd 416',
  'intel-ssb-no 516;invpcid 170;ipred-ctrl 417;its-no 574;itsc 232;l1d-flush 316;lahf-lm 96',
  'lfence-dispatch 354;lm 93;lwp 111;mca 14;mcdt-no 421;mce 7;mcu-ctrl 521;md-clear 298;mds-no 517',
  'misalignsse 103;misc-pkg-ctrl 522;mmx 23;mmxext 86;monitor 35;monitorx 125;movbe 54;movdir64b 220',
  'movdiri 219;mpx 174;msr 5;mtrr 12;no-fpu-sel 173;no-lmsl 276;nodeid-msr 115;nscb 358;nx 84;ospke 196',
  'osvw 105;osxsave 59;ovrclk-status 535;pae 6;page1gb 90;pat 16;pbe 31;pbrsb-no 536;pcid 49',
  'pclmulqdq 33;pdcm 47;pge 13;pku 195;popcnt 55;pqe 175;pqm 172;prefetchwt1 192;proc-trace 185',
  'psdp-no 527;pse 3;pse36 17;psfd 284;rdcl-no 512;rdpid 214;rdrand 62;rdseed 178;rdtscp 91',
  'rfds-clear 540;rfds-no 539;rrsba 531;rrsba-ctrl 418;rsba 514;rstr-fp-err-ptrs 258;rtm 171',
  'rtm-always-abort 299;sbdr-ssdp-no 525;sbpb 379;sep 11;serialize 302;sgx 162;sha 189;skinit 108',
  'skip-l1dfl 515;smap 180;smep 167;smx 38;srbds-ctrl 297;srso-msr-fix 383;srso-no 381;srso-us-no 382',
  'ss 27;ssb-no 282;ssbd 319;sse 25;sse2 26;sse3 32;sse4-1 51;sse4-2 52;sse4a 102;ssse3 41;stibp 315',
  'stibp-always 273;svm 98;syscall 75;taa-no 520;tbm 117;tm1 29;tm2 40;topoext 118;tsa-l1-no 578',
  'tsa-sq-no 577;tsc 4;tsc-adjust 161;tsc-deadline 56;tsx-ctrl 519;tsx-force-abort 301;tsxldtrk 304',
  'umip 194;vaes 201;verw-clear 357;virt-ssbd 281;vme 1;vmx 37;vpclmulqdq 202;wbnoinvd 265;wdt 109',
  'x2apic 53;xapic-status 533;xgetbv1 130;xop 107;xsave 58;xsavec 129;xsaveopt 128;xsaves 131;xtpr 46',
].join(';');
