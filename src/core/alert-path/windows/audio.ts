// Windows audio output: muted, at zero volume, or no output device at all. Windows has no command that prints
// the mute state, so one hidden, non-interactive PowerShell compiles a few lines of C# (Add-Type) that ask Core
// Audio through COM: IMMDeviceEnumerator::GetDefaultAudioEndpoint(eRender, eMultimedia) for the device alert
// sounds play on — E_NOTFOUND means there is none
// (https://learn.microsoft.com/en-us/windows/win32/api/mmdeviceapi/nf-mmdeviceapi-immdeviceenumerator-getdefaultaudioendpoint)
// — then that endpoint's IAudioEndpointVolume for GetMute and GetMasterVolumeLevelScalar
// (https://learn.microsoft.com/en-us/windows/win32/api/endpointvolume/nn-endpointvolume-iaudioendpointvolume).
// The interfaces are declared in their vtable order up to the last method called (COM calls by slot, not by
// name); BOOL is marshalled as a 4-byte Bool, not .NET's default 2-byte VARIANT_BOOL for COM.
//
// It prints one line: "BAYALERT-AUDIO muted=0|1 volume=0.000…1.000", "BAYALERT-AUDIO no-device", or
// "BAYALERT-AUDIO error <step> 0x<HRESULT>". Anything else — PowerShell missing, timed out, blocked (Add-Type is
// refused in Constrained Language Mode), or printing something else — is "could not tell", never a finding.
import { firstLine, notAnswered, type Detector, type DetectorResult, type Finding } from '../types.js'

export const CORE_AUDIO_CSHARP = `
using System;
using System.Globalization;
using System.Runtime.InteropServices;
namespace BayAlert {
  [ComImport, Guid("5CDF2C82-841E-4546-9722-0CF74078229A"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
  interface IAudioEndpointVolume {
    [PreserveSig] int RegisterControlChangeNotify(IntPtr notify);
    [PreserveSig] int UnregisterControlChangeNotify(IntPtr notify);
    [PreserveSig] int GetChannelCount(out uint count);
    [PreserveSig] int SetMasterVolumeLevel(float levelDb, IntPtr context);
    [PreserveSig] int SetMasterVolumeLevelScalar(float level, IntPtr context);
    [PreserveSig] int GetMasterVolumeLevel(out float levelDb);
    [PreserveSig] int GetMasterVolumeLevelScalar(out float level);
    [PreserveSig] int SetChannelVolumeLevel(uint channel, float levelDb, IntPtr context);
    [PreserveSig] int SetChannelVolumeLevelScalar(uint channel, float level, IntPtr context);
    [PreserveSig] int GetChannelVolumeLevel(uint channel, out float levelDb);
    [PreserveSig] int GetChannelVolumeLevelScalar(uint channel, out float level);
    [PreserveSig] int SetMute([MarshalAs(UnmanagedType.Bool)] bool mute, IntPtr context);
    [PreserveSig] int GetMute([MarshalAs(UnmanagedType.Bool)] out bool mute);
  }
  [ComImport, Guid("D666063F-1587-4E43-81F1-B948E807363F"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
  interface IMMDevice {
    [PreserveSig] int Activate(ref Guid iid, int clsCtx, IntPtr activationParams, [MarshalAs(UnmanagedType.IUnknown)] out object endpoint);
  }
  [ComImport, Guid("A95664D2-9614-4F35-A746-DE8DB63617E6"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
  interface IMMDeviceEnumerator {
    [PreserveSig] int EnumAudioEndpoints(int dataFlow, int stateMask, out IntPtr devices);
    [PreserveSig] int GetDefaultAudioEndpoint(int dataFlow, int role, out IMMDevice device);
  }
  [ComImport, Guid("BCDE0395-E52F-467C-8E3D-C4579291692E")]
  class MMDeviceEnumerator {}
  public static class CoreAudioProbe {
    const int E_NOTFOUND = unchecked((int)0x80070490);
    const int eRender = 0, eMultimedia = 1, CLSCTX_ALL = 23;
    static string Failed(string step, int hr) { return "BAYALERT-AUDIO error " + step + " 0x" + hr.ToString("X8"); }
    public static string Run() {
      IMMDeviceEnumerator devices = (IMMDeviceEnumerator)new MMDeviceEnumerator();
      IMMDevice device;
      int hr = devices.GetDefaultAudioEndpoint(eRender, eMultimedia, out device);
      if (hr == E_NOTFOUND) return "BAYALERT-AUDIO no-device";
      if (hr != 0) return Failed("GetDefaultAudioEndpoint", hr);
      Guid iid = typeof(IAudioEndpointVolume).GUID;
      object endpoint;
      hr = device.Activate(ref iid, CLSCTX_ALL, IntPtr.Zero, out endpoint);
      if (hr != 0) return Failed("Activate", hr);
      IAudioEndpointVolume volume = (IAudioEndpointVolume)endpoint;
      bool muted;
      hr = volume.GetMute(out muted);
      if (hr != 0) return Failed("GetMute", hr);
      float level;
      hr = volume.GetMasterVolumeLevelScalar(out level);
      if (hr != 0) return Failed("GetMasterVolumeLevelScalar", hr);
      return "BAYALERT-AUDIO muted=" + (muted ? "1" : "0") + " volume=" + level.ToString("0.000", CultureInfo.InvariantCulture);
    }
  }
}
`

/** The PowerShell script: compile the probe, print its one line. A here-string keeps the C# free of quoting. */
export const CORE_AUDIO_SCRIPT = `$ErrorActionPreference = 'Stop'\nAdd-Type -TypeDefinition @'${CORE_AUDIO_CSHARP}'@\n[BayAlert.CoreAudioProbe]::Run()\n`

/**
 * -EncodedCommand (base64 of UTF-16LE) instead of -Command: the script's quotes and newlines reach PowerShell
 * exactly, whatever Windows' command-line quoting does to an argument.
 */
export const CORE_AUDIO_ARGS: readonly string[] = [
  '-NoProfile',
  '-NonInteractive',
  '-NoLogo',
  '-WindowStyle',
  'Hidden',
  '-EncodedCommand',
  Buffer.from(CORE_AUDIO_SCRIPT, 'utf16le').toString('base64'),
]

/** Compiling the C# takes a second or two on a cold machine; the probe's own deadline (5 s) is above this. */
export const CORE_AUDIO_TIMEOUT_MS = 4500

const MUTED: Finding = {
  id: 'audio-muted',
  affects: 'sound',
  reason: 'The Windows sound output is muted: alert sounds are silent (unmute it with the speaker icon in the taskbar).',
}
const ZERO: Finding = {
  id: 'audio-muted',
  affects: 'sound',
  reason: 'The Windows sound output is at zero volume: alert sounds are silent (turn it up with the speaker icon in the taskbar).',
}
const NO_OUTPUT: Finding = {
  id: 'no-audio-output',
  affects: 'sound',
  reason: 'Windows has no sound output device: alert sounds cannot play (plug in speakers or headphones, or enable one in Settings → System → Sound).',
}

const LINE = /^BAYALERT-AUDIO (?:muted=([01]) volume=(0\.\d{3}|1\.000)|(no-device)|error (\w+) (0x[0-9A-F]{8}))$/

/**
 * The probe's output → findings, or "could not tell" for anything but exactly one well-formed line (LINE has no
 * multiline flag: a second line of any kind fails the match).
 */
export function parseCoreAudio(stdout: string): DetectorResult {
  const m = LINE.exec(stdout.trim())
  if (!m) return { findings: [], unknown: `unreadable Core Audio answer (${firstLine(stdout, 60) || 'nothing'})` }
  if (m[3]) return { findings: [NO_OUTPUT] }
  if (m[4]) return { findings: [], unknown: `Core Audio ${m[4]} returned HRESULT ${m[5]}` }
  if (m[1] === '1') return { findings: [MUTED] }
  return { findings: Number(m[2]) === 0 ? [ZERO] : [] }
}

export const windowsAudioDetector: Detector = {
  name: 'windows: audio output',
  async detect(os) {
    const r = await os.run('powershell.exe', CORE_AUDIO_ARGS, { timeoutMs: CORE_AUDIO_TIMEOUT_MS })
    if (r.kind === 'ok') return parseCoreAudio(r.stdout)
    if (r.kind === 'failed') return { findings: [], unknown: `PowerShell failed (${firstLine(r.stderr) || `exit ${r.code}`})` }
    // Missing, timed out or could not start; notAnswered names which (its null is for the two kinds above).
    return { findings: [], unknown: notAnswered('PowerShell', r) ?? 'PowerShell gave no answer' }
  },
}
