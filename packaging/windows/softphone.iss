; Softphone for Windows: a per-machine installer of the PyInstaller build (Inno Setup 6.3+).
;
; Build, from the repository root, after `pyinstaller packaging/softphone.spec`:
;   iscc /DAppVersion=0.1.0 packaging\windows\softphone.iss
; (/DSourceDir=... and /DOutputDir=... change where the build is read and the installer
; written; /DSign with /Ssoftphonesign="signtool sign ... $f" signs the installer.)
; The result is dist\installer\softphone-<version>-setup.exe.
;
; Silent installation with the addresses the agents use, e.g. from a software
; distribution tool (run as administrator):
;   softphone-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART ^
;       /SIPURI="sip:${login}@pbx.example.com" /CRMURL="https://crm.example.com:8443"
; Optional: /SIPREGISTRAR="sip:pbx.example.com" /SIPTRANSPORT=tls
;           /PROVISIONINGURL="https://..."  /LOCK=1 (agents cannot change what was given)
;           /TASKS="desktopicon" (a desktop shortcut; off by default)
; Given values are written to the system-wide settings file,
; %ProgramData%\softphone\softphone\settings.toml (see packaging/README.md); without any,
; an existing file is left as it is. Uninstall: "Apps" in Settings, or
;   "%ProgramFiles%\Softphone\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\softphone"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist\installer"
#endif
#define AppName "Softphone"
#define AppExe "softphone.exe"
#define ProgId "Softphone.CallLink"

[Setup]
; The AppId identifies the product across versions: never change it.
AppId={{610CA113-DA96-438C-BBB6-E41EDE7B41A6}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=softphone-{#AppVersion}-setup
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes
CloseApplications=force
RestartApplications=no
#ifdef Sign
; Signed builds (see packaging/README.md): the installer and the uninstaller it carries.
SignTool=softphonesign
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; Files of an earlier version that this one no longer has.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; The program behind tel:, sip: and sips: links: a ProgID of its own...
Root: HKLM; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "URL:Call with {#AppName}"; Flags: uninsdeletekey
Root: HKLM; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKLM; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKLM; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
; ...offered in Settings > Apps > Default apps (Windows asks the user to choose there)...
Root: HKLM; Subkey: "Software\{#AppName}"; Flags: uninsdeletekey
Root: HKLM; Subkey: "Software\{#AppName}\Capabilities"; ValueType: string; ValueName: "ApplicationName"; ValueData: "{#AppName}"
Root: HKLM; Subkey: "Software\{#AppName}\Capabilities"; ValueType: string; ValueName: "ApplicationDescription"; ValueData: "Softphone for call-center agents"
Root: HKLM; Subkey: "Software\{#AppName}\Capabilities\URLAssociations"; ValueType: string; ValueName: "tel"; ValueData: "{#ProgId}"
Root: HKLM; Subkey: "Software\{#AppName}\Capabilities\URLAssociations"; ValueType: string; ValueName: "sip"; ValueData: "{#ProgId}"
Root: HKLM; Subkey: "Software\{#AppName}\Capabilities\URLAssociations"; ValueType: string; ValueName: "sips"; ValueData: "{#ProgId}"
Root: HKLM; Subkey: "Software\RegisteredApplications"; ValueType: string; ValueName: "{#AppName}"; ValueData: "Software\{#AppName}\Capabilities"; Flags: uninsdeletevalue
; ...and the schemes themselves (used where no other program has claimed them; removed
; at uninstall only while they still point here: see [Code]).
Root: HKLM; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: ""; ValueData: "URL:tel"; Check: SchemeIsFree('tel')
Root: HKLM; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Check: SchemeIsFree('tel')
Root: HKLM; Subkey: "Software\Classes\tel\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"; Check: SchemeIsFree('tel')
Root: HKLM; Subkey: "Software\Classes\tel\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Check: SchemeIsFree('tel')
Root: HKLM; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: ""; ValueData: "URL:sip"; Check: SchemeIsFree('sip')
Root: HKLM; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Check: SchemeIsFree('sip')
Root: HKLM; Subkey: "Software\Classes\sip\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"; Check: SchemeIsFree('sip')
Root: HKLM; Subkey: "Software\Classes\sip\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Check: SchemeIsFree('sip')
Root: HKLM; Subkey: "Software\Classes\sips"; ValueType: string; ValueName: ""; ValueData: "URL:sips"; Check: SchemeIsFree('sips')
Root: HKLM; Subkey: "Software\Classes\sips"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Check: SchemeIsFree('sips')
Root: HKLM; Subkey: "Software\Classes\sips\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"; Check: SchemeIsFree('sips')
Root: HKLM; Subkey: "Software\Classes\sips\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Check: SchemeIsFree('sips')

[Run]
; Calls need incoming RTP: let the programs that run the phone engine through the firewall
; (the old rules first, so that an upgrade does not add them twice).
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall delete rule name=""{#AppName}"""; Flags: runhidden waituntilterminated
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall add rule name=""{#AppName}"" dir=in action=allow program=""{app}\softphone-engine.exe"" enable=yes profile=any"; Flags: runhidden waituntilterminated; StatusMsg: "Allowing calls through the firewall..."
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall add rule name=""{#AppName}"" dir=in action=allow program=""{app}\{#AppExe}"" enable=yes profile=any"; Flags: runhidden waituntilterminated
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall delete rule name=""{#AppName}"""; Flags: runhidden waituntilterminated; RunOnceId: "DeleteFirewallRules"

[Code]
const
  SettingsKey = 'Software\{#AppName}';
  WroteSettingsValue = 'WroteSystemSettings';

function SettingsDir(): String;
begin
  { platformdirs.site_config_dir("softphone") on Windows: the app reads this file. }
  Result := ExpandConstant('{commonappdata}\softphone\softphone');
end;

function SettingsFile(): String;
begin
  Result := SettingsDir() + '\settings.toml';
end;

function HandlerCommand(): String;
begin
  Result := '"' + ExpandConstant('{app}\{#AppExe}') + '" "%1"';
end;

{ True when no other program handles the scheme (or it is already ours). }
function SchemeIsFree(Scheme: String): Boolean;
var
  Command: String;
begin
  if not RegQueryStringValue(HKLM, 'Software\Classes\' + Scheme + '\shell\open\command', '', Command) then
    Result := True
  else
    Result := CompareText(Command, HandlerCommand()) = 0;
end;

{ A TOML basic string: quotes and backslashes escaped. }
function TomlString(Value: String): String;
begin
  StringChangeEx(Value, '\', '\\', True);
  StringChangeEx(Value, '"', '\"', True);
  Result := '"' + Value + '"';
end;

procedure AddLine(var Lines: TArrayOfString; Line: String);
begin
  SetArrayLength(Lines, GetArrayLength(Lines) + 1);
  Lines[GetArrayLength(Lines) - 1] := Line;
end;

procedure AddLocked(var Locked: String; Name: String);
begin
  if Locked <> '' then
    Locked := Locked + ', ';
  Locked := Locked + TomlString(Name);
end;

procedure WriteSystemSettings();
var
  SipUri, Registrar, Transport, CrmUrl, ProvisioningUrl, Locked: String;
  Body, Lines: TArrayOfString;
  I: Integer;
begin
  SipUri := ExpandConstant('{param:SIPURI|}');
  Registrar := ExpandConstant('{param:SIPREGISTRAR|}');
  Transport := Lowercase(ExpandConstant('{param:SIPTRANSPORT|}'));
  CrmUrl := ExpandConstant('{param:CRMURL|}');
  ProvisioningUrl := ExpandConstant('{param:PROVISIONINGURL|}');
  if (SipUri = '') and (Registrar = '') and (Transport = '') and (CrmUrl = '') and
     (ProvisioningUrl = '') then
    exit;
  Locked := '';
  if (SipUri <> '') or (Registrar <> '') or (Transport <> '') then begin
    AddLine(Body, '');
    AddLine(Body, '[sip]');
    if SipUri <> '' then begin
      AddLine(Body, 'uri = ' + TomlString(SipUri));
      AddLocked(Locked, 'sip.uri');
    end;
    if Registrar <> '' then begin
      AddLine(Body, 'registrar = ' + TomlString(Registrar));
      AddLocked(Locked, 'sip.registrar');
    end;
    if Transport <> '' then begin
      AddLine(Body, 'transport = ' + TomlString(Transport));
      AddLocked(Locked, 'sip.transport');
    end;
  end;
  if CrmUrl <> '' then begin
    AddLine(Body, '');
    AddLine(Body, '[crm]');
    AddLine(Body, 'url = ' + TomlString(CrmUrl));
    AddLocked(Locked, 'crm.url');
  end;
  if ProvisioningUrl <> '' then begin
    AddLine(Body, '');
    AddLine(Body, '[provisioning]');
    AddLine(Body, 'url = ' + TomlString(ProvisioningUrl));
    AddLocked(Locked, 'provisioning.url');
  end;
  AddLine(Lines, '# Written by the Softphone installer; read by every user''s app.');
  AddLine(Lines, '# Values here are defaults; each agent''s own settings win unless locked.');
  { The top-level lock list must come before the first table. }
  if ExpandConstant('{param:LOCK|0}') = '1' then
    AddLine(Lines, 'lock = [' + Locked + ']');
  for I := 0 to GetArrayLength(Body) - 1 do
    AddLine(Lines, Body[I]);
  ForceDirectories(SettingsDir());
  if FileExists(SettingsFile()) then
    FileCopy(SettingsFile(), SettingsFile() + '.bak', False);
  if SaveStringsToUTF8FileWithoutBOM(SettingsFile(), Lines, False) then
    RegWriteDWordValue(HKLM, SettingsKey, WroteSettingsValue, 1)
  else
    Log('Could not write ' + SettingsFile());
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssPostInstall then
    WriteSystemSettings();
end;

procedure RemoveSchemeIfOurs(Scheme: String);
var
  Command: String;
begin
  if RegQueryStringValue(HKLM, 'Software\Classes\' + Scheme + '\shell\open\command', '', Command) and
     (CompareText(Command, HandlerCommand()) = 0) then
    RegDeleteKeyIncludingSubkeys(HKLM, 'Software\Classes\' + Scheme);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Wrote: Cardinal;
begin
  if CurUninstallStep = usUninstall then begin
    RemoveSchemeIfOurs('tel');
    RemoveSchemeIfOurs('sip');
    RemoveSchemeIfOurs('sips');
    { The settings file goes only if this installer wrote it (IT may deploy its own). }
    if RegQueryDWordValue(HKLM, SettingsKey, WroteSettingsValue, Wrote) and (Wrote = 1) then begin
      DeleteFile(SettingsFile());
      DeleteFile(SettingsFile() + '.bak');
      RemoveDir(SettingsDir());
      RemoveDir(ExpandConstant('{commonappdata}\softphone'));
    end;
  end;
end;
