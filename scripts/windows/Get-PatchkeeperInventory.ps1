<#
.SYNOPSIS
Writes this Windows host's patchkeeper inventory document (JSON).

.DESCRIPTION
Collects the operating system facts, installed and pending updates,
installed programs and pending restart of this host with tools built into
Windows PowerShell 5.1: the registry, Get-HotFix and the Windows Update
Agent COM API. The output is the document described in
docs/WINDOWS-INVENTORY.md, which `patchkeeper scan --windows-inventory FILE`
reads.

Run it as Administrator (or as SYSTEM from a scheduled task).

NOTE: this script has not been run on a real Windows machine by the
project's tests, which run on Linux. Check its output by hand on a first
host before relying on it.

.PARAMETER Path
The file to write, as UTF-8 without a byte order mark. Without it, the
document is written to standard output.

.PARAMETER SkipUpdateSearch
Leaves out the Windows Update Agent search for pending updates, which can
take minutes and needs the update server (Windows Update or WSUS). The
document then lists no pending updates, so a scan reports only what the
installed KBs and the build show.

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File Get-PatchkeeperInventory.ps1 -Path C:\ProgramData\patchkeeper\inventory.json
#>
[CmdletBinding()]
param(
    [string]$Path,
    [switch]$SkipUpdateSearch
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

# Windows PowerShell 5.1 adds a Count property to System.Array through type
# data, and ConvertTo-Json then writes an array wrapped in a PSObject as
# {"value": [...], "Count": n}. Without that type data, in this session
# only, arrays stay JSON lists.
Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue

$FirstWindows11Build = 22000

# Returns the property $Name of $Object, or $null when it has none (strict
# mode would otherwise stop on a missing registry value).
function Get-OptionalProperty($Object, [string]$Name) {
    if ($null -eq $Object) { return $null }
    $property = $Object.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return $property.Value
}

# Returns the digits of "KB5058411" or "5058411", or $null for anything else.
function Get-KbDigits([string]$Text) {
    if ($Text -match '^\s*(?:[Kk][Bb])?(\d{1,10})\s*$') { return $Matches[1] }
    return $null
}

function Get-OperatingSystemFacts {
    $current = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'

    # CurrentMajorVersionNumber and CurrentMinorVersionNumber exist from
    # Windows 10 and Server 2016 on. Older releases give "6.3" in
    # CurrentVersion.
    $major = Get-OptionalProperty $current 'CurrentMajorVersionNumber'
    $minor = Get-OptionalProperty $current 'CurrentMinorVersionNumber'
    if ($null -eq $major -or $null -eq $minor) {
        $parts = ([string](Get-OptionalProperty $current 'CurrentVersion')).Split('.')
        $major = $parts[0]
        $minor = if ($parts.Count -gt 1) { $parts[1] } else { '0' }
    }
    $buildNumber = [string](Get-OptionalProperty $current 'CurrentBuildNumber')
    $build = '{0}.{1}.{2}' -f $major, $minor, $buildNumber
    $ubr = Get-OptionalProperty $current 'UBR'
    if ($null -ne $ubr) { $build = '{0}.{1}' -f $build, $ubr }

    # DisplayVersion ("24H2") exists from Windows 10 20H2 on; ReleaseId
    # ("1809") is the older name of the same value.
    $release = Get-OptionalProperty $current 'DisplayVersion'
    if ([string]::IsNullOrEmpty($release)) { $release = Get-OptionalProperty $current 'ReleaseId' }
    if ($null -eq $release) { $release = '' }

    # EditionID ("Professional", "ServerDatacenter") is used only when
    # ProductName is missing.
    $edition = [string](Get-OptionalProperty $current 'ProductName')
    if ([string]::IsNullOrEmpty($edition)) { $edition = [string](Get-OptionalProperty $current 'EditionID') }

    # Windows 11 still writes "Windows 10 ..." into ProductName. The build
    # number decides, as winver shows it.
    $buildValue = 0
    if ([int]::TryParse($buildNumber, [ref]$buildValue) -and $buildValue -ge $FirstWindows11Build -and
        $edition.StartsWith('Windows 10')) {
        $edition = 'Windows 11' + $edition.Substring('Windows 10'.Length)
    }

    # A 32-bit PowerShell on 64-bit Windows sees x86 in
    # PROCESSOR_ARCHITECTURE and the real one in PROCESSOR_ARCHITEW6432.
    $machine = $env:PROCESSOR_ARCHITEW6432
    if ([string]::IsNullOrEmpty($machine)) { $machine = $env:PROCESSOR_ARCHITECTURE }
    $architecture = switch ($machine) {
        'AMD64' { 'x64' }
        'ARM64' { 'ARM64' }
        'x86' { 'x86' }
        default { [string]$machine }
    }

    return [ordered]@{
        edition           = $edition
        release           = [string]$release
        build             = $build
        installation_type = [string](Get-OptionalProperty $current 'InstallationType')
        architecture      = $architecture
    }
}

# Returns the installed KBs as "KB" followed by digits, from Get-HotFix
# (Win32_QuickFixEngineering) and from the Windows Update Agent's history,
# which also lists updates that Get-HotFix misses, such as Defender and
# .NET updates.
function Get-InstalledKbs($Searcher) {
    $installed = @{}
    foreach ($fix in @(Get-HotFix)) {
        $digits = Get-KbDigits $fix.HotFixID
        if ($null -ne $digits) { $installed[$digits] = $true }
    }

    # History entries carry no KB field, only a title ending in
    # "(KB5060842)". The newest entry for a KB decides, so that an update
    # installed and later uninstalled does not count. Operation 1 is an
    # installation, 2 an uninstallation. ResultCode 2 is succeeded and 3
    # succeeded with errors.
    $seen = @{}
    $count = $Searcher.GetTotalHistoryCount()
    if ($count -gt 0) {
        $history = @($Searcher.QueryHistory(0, $count)) | Sort-Object -Property Date -Descending
        foreach ($entry in $history) {
            if ($entry.ResultCode -ne 2 -and $entry.ResultCode -ne 3) { continue }
            if ([string]$entry.Title -notmatch '\bKB(\d{1,10})\b') { continue }
            $digits = $Matches[1]
            if ($seen.ContainsKey($digits)) { continue }
            $seen[$digits] = $true
            if ($entry.Operation -eq 1) {
                $installed[$digits] = $true
            } elseif ($entry.Operation -eq 2) {
                $installed.Remove($digits)
            }
        }
    }

    return @($installed.Keys | Sort-Object { [long]$_ } | ForEach-Object { 'KB' + $_ })
}

# Returns the updates that Windows Update offers and that are not installed.
function Get-PendingUpdates($Searcher) {
    $result = $Searcher.Search('IsInstalled=0 and IsHidden=0')
    $pending = New-Object 'System.Collections.Generic.List[object]'
    foreach ($update in $result.Updates) {
        # Driver updates often have no KB article. They cannot be named in
        # the document, so they are left out.
        $kb = $null
        foreach ($articleId in $update.KBArticleIDs) {
            $kb = Get-KbDigits ([string]$articleId)
            if ($null -ne $kb) { break }
        }
        if ($null -eq $kb) { continue }

        $classification = ''
        foreach ($category in $update.Categories) {
            if ($category.Type -eq 'UpdateClassification') { $classification = [string]$category.Name }
        }
        $severity = ''
        if ($null -ne $update.MsrcSeverity) { $severity = [string]$update.MsrcSeverity }
        $cveIds = New-Object 'System.Collections.Generic.List[string]'
        foreach ($cve in $update.CveIDs) {
            if (-not [string]::IsNullOrEmpty($cve)) { $cveIds.Add([string]$cve) }
        }

        # RebootBehavior 0 means the update never needs a restart, 1 that it
        # always does and 2 that it may.
        $restart = [bool]$update.RebootRequired -or $update.InstallationBehavior.RebootBehavior -ne 0

        $pending.Add([ordered]@{
            kb               = 'KB' + $kb
            title            = [string]$update.Title
            classification   = $classification
            severity         = $severity
            cve_ids          = $cveIds.ToArray()
            # SupersededUpdateIDs holds update GUIDs, not KB numbers, so the
            # superseded KBs are not known here.
            supersedes       = @()
            restart_required = $restart
        })
    }
    return $pending.ToArray()
}

# Returns the programs listed under the Uninstall keys of both registry
# views (64-bit and 32-bit), each name, version and publisher once.
function Get-InstalledPrograms {
    $programs = New-Object 'System.Collections.Generic.List[object]'
    $seen = @{}
    $views = @([Microsoft.Win32.RegistryView]::Registry64, [Microsoft.Win32.RegistryView]::Registry32)
    foreach ($view in $views) {
        $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, $view)
        $uninstall = $base.OpenSubKey('SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall')
        if ($null -eq $uninstall) { $base.Close(); continue }
        foreach ($subkeyName in $uninstall.GetSubKeyNames()) {
            $subkey = $uninstall.OpenSubKey($subkeyName)
            if ($null -eq $subkey) { continue }
            $name = [string]$subkey.GetValue('DisplayName')
            $version = [string]$subkey.GetValue('DisplayVersion')
            $publisher = [string]$subkey.GetValue('Publisher')
            $subkey.Close()
            if ([string]::IsNullOrWhiteSpace($name)) { continue }

            # On 32-bit Windows both views are the same key.
            $identity = "$name`n$version`n$publisher"
            if ($seen.ContainsKey($identity)) { continue }
            $seen[$identity] = $true
            $programs.Add([ordered]@{ name = $name.Trim(); version = $version.Trim(); publisher = $publisher.Trim() })
        }
        $uninstall.Close()
        $base.Close()
    }
    return $programs.ToArray()
}

function Get-RestartState {
    $reasons = @()
    if (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') {
        $reasons += 'Windows Update'
    }
    if (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') {
        $reasons += 'Component Based Servicing'
    }
    $sessionManager = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager'
    if ($null -ne (Get-OptionalProperty $sessionManager 'PendingFileRenameOperations')) {
        $reasons += 'Pending file rename operations'
    }
    return [ordered]@{ pending = ($reasons.Count -gt 0); reasons = @($reasons) }
}

$session = New-Object -ComObject 'Microsoft.Update.Session'
$searcher = $session.CreateUpdateSearcher()

$os = Get-OperatingSystemFacts
$installedKbs = @(Get-InstalledKbs $searcher)
# A failed search stops the script rather than writing an empty list, which
# would read as "nothing pending".
$pendingUpdates = if ($SkipUpdateSearch) { @() } else { @(Get-PendingUpdates $searcher) }

$document = [ordered]@{
    format          = 'patchkeeper-windows-inventory'
    format_version  = 1
    hostname        = $env:COMPUTERNAME
    collected_at    = (Get-Date).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'",
                                                           [Globalization.CultureInfo]::InvariantCulture)
    os              = $os
    installed_kbs   = @($installedKbs)
    pending_updates = @($pendingUpdates)
    programs        = @(Get-InstalledPrograms)
    restart         = Get-RestartState
}

# The document nests five levels deep (document, pending_updates, an update,
# its cve_ids, a CVE id), within ConvertTo-Json's -Depth 6.
$json = ConvertTo-Json -InputObject $document -Depth 6

if ([string]::IsNullOrEmpty($Path)) {
    Write-Output $json
} else {
    # Set-Content -Encoding UTF8 writes a byte order mark in PowerShell 5.1,
    # so the file is written through .NET instead.
    $fullPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
    [System.IO.File]::WriteAllText($fullPath, $json, (New-Object System.Text.UTF8Encoding $false))
}
