#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# docs/es-ES/runbook.md ("Procedimiento de restauración") run as an admin would follow it, block by block, against the
# rig: every ```powershell block, in order, in one pwsh session, with only block 0 (the site's names and paths)
# replaced by this rig's. Between sections the test stages the incident each section is for (rows deleted with and
# without the audit trigger, the backup directory's sets needed from the USB disk and the cloud), and after them it
# checks what matters: the rows are back, the replaced table kept, the staging copies dropped, the drill passed.
# The admin answers "Yes" to confirmation prompts ($ConfirmPreference = 'None' in the session).

BeforeDiscovery {
    $text = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../docs/es-ES/runbook.md')
    $heading = ''
    $script:Blocks = [System.Collections.Generic.List[object]]::new()
    foreach ($m in [regex]::Matches($text, '(?ms)^(#{2,3} [^\n]+)$|^```powershell\r?\n(.*?)^```')) {
        if ($m.Groups[1].Success) { $heading = $m.Groups[1].Value.Trim(); continue }
        $Blocks.Add(@{ Index = $Blocks.Count; Heading = $heading; Code = $m.Groups[2].Value })
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OffsiteHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Db = 'cenate_runbook_' + [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Roles = 'cenate_rb_app1', 'cenate_rb_app2'
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('cenate-runbook-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $Root
    chmod 700 $Root
    $script:Started = Get-Date
    Copy-TestDatabase -Name $Db
    foreach ($r in $Roles) { Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $r; CREATE ROLE $r" | Out-Null }
    Invoke-Psql -Database $Db -Sql "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON asegurados TO $($Roles -join ', ')" | Out-Null
    $script:Server = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = (Get-TestCredential) }
    $script:Count = { [long](Invoke-Psql -Database $Db -Sql 'SELECT count(*) FROM asegurados').Trim() }
    $script:Original = & $Count

    # What the plan's jobs would have left before the incident: the audit trigger, two verified daily sets, the weekly
    # copy on a USB disk (a real tmpfs mount), the monthly copy in an encrypted rclone remote, a settings file.
    Install-CenateAuditTrigger @Server -Database $Db -Table asegurados -Operation Delete, Truncate -Confirm:$false | Out-Null
    $script:Backups = Join-Path $Root 'backups'
    foreach ($i in 1, 2) {
        New-CenateDump @Server -Database $Db -Path $Backups | Test-CenateBackup -Level Read | Out-Null
        Start-Sleep -Seconds 1
    }
    $script:Usb = Join-Path $Root 'usb'
    New-Item -ItemType Directory -Path $Usb | Out-Null
    & mount -t tmpfs -o 'size=256m,mode=0700' tmpfs $Usb
    if ($LASTEXITCODE -ne 0) { throw "mount tmpfs at $Usb failed (the tests need root)" }
    $script:UsbTarget = Join-Path $Usb 'cenate'
    Initialize-CenateOffsiteTarget -Destination $UsbTarget -Label usb-semanal -Confirm:$false | Out-Null
    Sync-CenateOffsite -Path $Backups -Destination $UsbTarget -Newest 1 | Out-Null
    $script:Rclone = New-TestRcloneConfig -Path (Join-Path $Root 'rclone.conf')
    Sync-CenateOffsite -Path $Backups -Destination 'cryptlocal:cenate' -Newest 1 -RcloneConfig $Rclone.Path | Out-Null
    $script:Settings = Join-Path $Root 'etc/cenate.psd1'
    New-CenateSettings -Path $Settings -BackupPath $Backups | Out-Null
    $script:Incident = Get-Date

    # The admin's session: a fresh runspace with the module, where every block runs in the global scope in turn.
    $script:Session = [powershell]::Create()
    $null = $Session.AddScript("Import-Module '$(Get-ModuleManifestPath)'; `$ConfirmPreference = 'None'; `$ErrorActionPreference = 'Stop'").Invoke()
    $Session.Runspace.SessionStateProxy.SetVariable('TestCredential', (Get-TestCredential))

    # Block 0 of the runbook with this rig's values: the same variables, nothing else.
    $script:Prep = @"
`$Servidor   = @{ Container = '$($Rig.Container)'; Port = $($Rig.Port); Credential = `$TestCredential }
`$Base       = '$Db'
`$Tabla      = 'asegurados'
`$Respaldos  = '$Backups'
`$Usb        = '$UsbTarget'
`$Nube       = 'cryptlocal:cenate'
`$Rclone     = '$($Rclone.Path)'
`$Recuperar  = '$(Join-Path $Root 'restore')'
`$Ajustes    = '$Settings'
`$RolesApp   = '$($Roles[0])', '$($Roles[1])'
`$Incidente  = [datetimeoffset]'$($Incident.ToString('o'))'
`$Desde      = [datetimeoffset]'$($Started.ToString('o'))'
"@

    function Invoke-Block([string]$Code) {
        $Session.Commands.Clear()
        $Session.Streams.ClearStreams()
        $null = $Session.AddScript($Code)
        $out = $Session.Invoke() | Out-String -Width 200
        $errors = @($Session.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" })
        [pscustomobject]@{ Output = $out; Errors = $errors }
    }

    # Incidents staged before a section: heading → script run by the test (psql), as the cause would have done it.
    $script:Before = @{
        '## 1. Evaluar: ¿qué se perdió y desde cuándo?' = {
            # An application bug deletes 40 rows; the audit trigger keeps them.
            Invoke-Psql -Database $Db -Sql 'DELETE FROM asegurados WHERE id IN (SELECT id FROM asegurados ORDER BY id LIMIT 40)' | Out-Null
        }
        '### 4.1 Cargar el respaldo aparte (Staging) y mirar' = {
            # Rows deleted with triggers off (no audit entry): only the backup has them.
            Invoke-Psql -Database $Db -Sql "SET session_replication_role = replica; DELETE FROM asegurados WHERE id IN (SELECT id FROM asegurados ORDER BY id DESC LIMIT 30)" | Out-Null
        }
    }
    $script:SeenBefore = @{}
}

AfterAll {
    if ($Session) { $Session.Dispose() }
    if ($Usb) { & umount $Usb 2>$null; if ($LASTEXITCODE -ne 0) { & umount -l $Usb 2>$null } }
    if ($Db) { Remove-TestDatabase $Db }
    foreach ($r in $Roles) { Invoke-Psql -Database postgres -Sql "DROP ROLE IF EXISTS $r" | Out-Null }
    if ($Root) { Remove-Item -LiteralPath $Root -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'docs/es-ES/runbook.md, followed step by step against the rig' {
    It 'block 0 sets exactly the variables the test gives this rig' -ForEach @($Blocks[0]) {
        $Code | Should -Match 'Import-Module CenateBackup'
        $theirs = @([regex]::Matches($Code, '(?m)^\$(\w+)\s*=') | ForEach-Object { $_.Groups[1].Value }) | Sort-Object
        $ours = @([regex]::Matches($Prep, '(?m)^\$(\w+)\s*=') | ForEach-Object { $_.Groups[1].Value }) | Sort-Object
        $theirs | Should -Be $ours
        $r = Invoke-Block $Prep
        $r.Errors | Should -BeNullOrEmpty
    }

    It 'block <Index> (<Heading>) runs without an error' -ForEach @($Blocks | Select-Object -Skip 1) {
        if ($Before.ContainsKey($Heading) -and -not $SeenBefore[$Heading]) { & $Before[$Heading]; $SeenBefore[$Heading] = $true }
        $r = Invoke-Block $Code
        $r.Errors | Should -BeNullOrEmpty -Because "the runbook's block under '$Heading' must work as written:`n$Code`n$($r.Output)"
        switch -Wildcard ($Heading) {
            '## 1. Evaluar*' { $r.Output | Should -Not -BeNullOrEmpty }
            '## 3. Caso A*' {
                if ($Code -notmatch '-WhatIf') { & $Count | Should -Be $Original -Because 'the deleted rows came back from the audit log' }
                else { & $Count | Should -Be ($Original - 40) -Because '-WhatIf changes nothing' }
            }
            '### 4.1*' {
                $r.Output | Should -Match 'cenate_restore_'
                & $Count | Should -Be ($Original - 30) -Because 'Staging does not touch the live table'
            }
            '### 4.3*' {
                if ($Code -match '(?m)^\$conjunto \| Restore-CenateTable .*-Mode MissingRows \|') {
                    & $Count | Should -Be $Original -Because 'MissingRows put back the rows only the backup had'
                }
            }
            '### 4.4*' {
                if ($Code -match '-Confirm:\$false') {
                    $replaced = Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'asegurados_replaced_%'"
                    [int]$replaced.Trim() | Should -Be 1 -Because 'Replace keeps the old table'
                }
            }
            '### 4.5*' {
                $left = Invoke-Psql -Database $Db -Sql "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'cenate_restore_%'"
                [int]$left.Trim() | Should -Be 0 -Because 'the staging schemas were removed'
            }
            '## 5.*' {
                if ($Code -match 'Test-CenateBackup') { $r.Output | Should -Match 'True' }
            }
            '## 6.*' { $r.Output | Should -Match 'Passed\s*:\s*True' }
        }
    }

    It 'left the table whole after the whole procedure' {
        & $Count | Should -Be $Original
    }
}
