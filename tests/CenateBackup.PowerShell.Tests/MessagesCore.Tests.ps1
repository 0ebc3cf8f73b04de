#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Issue 17: the texts a person reads in the Core areas (Docker, Database, Dumps, Archive, Exports) come in Spanish
# under an es-* UI culture and in English otherwise, while the error ids stay the same. Real failures of real cmdlets
# against the rig; a child pwsh started with LANG=es_PE.UTF-8; a warning and a progress text; and the two messages
# that used to mislead (a binary .dump called "text", a terminated session called "read past the end of the stream").

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Rig = Get-Rig
    $script:Cred = Get-TestCredential
    $script:Suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:Db = "cenate_msgcore_$Suffix"
    Invoke-Psql -Database postgres -Sql "CREATE DATABASE $Db" | Out-Null
    # No asegurados here: New-CenateDump warns that the default critical table is missing.
    Invoke-Psql -Database $Db -Sql ("CREATE TABLE public.pequena (id int PRIMARY KEY, v text); " +
        "INSERT INTO public.pequena SELECT g, 'v' || g FROM generate_series(1, 20) g") | Out-Null
    $script:P = @{ Container = $Rig.Container; Port = $Rig.Port; Credential = $Cred; Database = $Db }
    $script:SavedCulture = [cultureinfo]::CurrentUICulture
    $script:Fqid = { param($Id, $Cmd = 'NewCenateDumpCommand') "$Id,CenateBackup.PowerShell.Commands.$Cmd" }

    function Invoke-InCulture([string]$Culture, [scriptblock]$Script) {
        # The culture is restored whatever the script does.
        $before = [cultureinfo]::CurrentUICulture
        try {
            [cultureinfo]::CurrentUICulture = $Culture
            & $Script
        } finally { [cultureinfo]::CurrentUICulture = $before }
    }

    function Get-Failure([scriptblock]$Script) {
        try { & $Script; $null } catch { $_ }
    }

    function Assert-NoFiles([string]$Dir) {
        # The directory's lock file may stay (it is the directory's, not the run's); nothing else may.
        if (Test-Path -LiteralPath $Dir) {
            @(Get-ChildItem -LiteralPath $Dir -Recurse -Force -File | Where-Object Name -ne '.cenate.lock') |
                Should -BeNullOrEmpty
        }
    }
}

AfterAll {
    [cultureinfo]::CurrentUICulture = $SavedCulture
    Remove-TestDatabase $Db
}

Describe 'Errors of the Core areas follow the UI culture; the error id does not' {
    BeforeAll {
        function Assert-BothLanguages([scriptblock]$Run, [string]$Id, [string]$En, [string]$EnAction, [string]$Es,
            [string]$EsAction,
            [string]$Command = 'NewCenateDumpCommand') {
            # (PowerShell names are case-insensitive: the records must not be called $es/$en, the [string] parameters.)
            $spanish = Invoke-InCulture 'es-ES' { Get-Failure $Run }
            $english = Invoke-InCulture 'en-US' { Get-Failure $Run }
            foreach ($e in $spanish, $english) {
                $e | Should -BeOfType ([System.Management.Automation.ErrorRecord])
                $e.FullyQualifiedErrorId | Should -Be (& $Fqid $Id $Command)
            }
            $spanish.Exception.Message | Should -BeLike "*$Es*"
            $spanish.ErrorDetails.RecommendedAction | Should -BeLike "*$EsAction*"
            $english.Exception.Message | Should -BeLike "*$En*"
            $english.ErrorDetails.RecommendedAction | Should -BeLike "*$EnAction*"
            $spanish.Exception.Message | Should -Not -BeLike "*$En*"
            [cultureinfo]::CurrentUICulture.Name | Should -Be $SavedCulture.Name
        }
    }

    It 'a container that does not exist (Docker)' {
        Assert-BothLanguages -Id 'ContainerNotFound' `
            -Run { New-CenateDump -Container cenate_msgcore_nosuch -Credential $Cred -Path (New-TestDirectory mc) } `
            -En "Docker container 'cenate_msgcore_nosuch' does not exist" -EnAction 'docker ps -a' `
            -Es "El contenedor Docker 'cenate_msgcore_nosuch' no existe" -EsAction "Revise el nombre con 'docker ps -a'"
    }

    It 'a database that does not exist (Database)' {
        Assert-BothLanguages -Id 'DatabaseNotFound' `
            -Run { New-CenateDump @P -Database cenate_msgcore_nodb -Path (New-TestDirectory 'mc-nd') } `
            -En "Database 'cenate_msgcore_nodb' does not exist on the server at" -EnAction 'Check -Database' `
            -Es "La base de datos 'cenate_msgcore_nodb' no existe en el servidor" -EsAction 'Revise -Database'
    }

    It 'a critical table that does not exist (Dumps)' {
        Assert-BothLanguages -Id 'TableNotFound' `
            -Run { New-CenateDump @P -CriticalTable no_hay_tal -Path (New-TestDirectory 'mc-nt') } `
            -En "Critical table 'no_hay_tal' does not exist in database '$Db'; nothing was written." `
            -EnAction 'Check the spelling of -CriticalTable' `
            -Es "La tabla crítica 'no_hay_tal' no existe en la base de datos '$Db'; no se escribió nada." `
            -EsAction 'Revise cómo está escrito -CriticalTable'
    }

    It 'an audit log that is not installed (Audit)' {
        Assert-BothLanguages -Id 'AuditLogNotFound' -Command 'GetCenateAuditLogCommand' `
            -Run { Get-CenateAuditLog @P } `
            -En "There is no audit log cenate_audit.audit_log in database '$Db'." `
            -EnAction 'Install it with Install-CenateAuditTrigger' `
            -Es "No existe el registro de auditoría cenate_audit.audit_log en la base de datos '$Db'." `
            -EsAction 'Instálelo con Install-CenateAuditTrigger'
    }

    It 'an alert with no channel (Alerts)' {
        Assert-BothLanguages -Id 'AlertChannelMissing' -Command 'SendCenateAlertCommand' `
            -Run { Send-CenateAlert -Test } `
            -En 'No alert channel is configured' -EnAction 'Add at least one channel.' `
            -Es 'No hay ningún canal de alerta configurado' -EsAction 'Configure al menos un canal.'
    }

    It 'any es-* culture (es-PE) gives Spanish, and a non-Spanish culture (fr-FR) English' {
        $run = { New-CenateDump @P -Database cenate_msgcore_nodb -Path (New-TestDirectory 'mc-pe') }
        $pe = Invoke-InCulture 'es-PE' { Get-Failure $run }
        $fr = Invoke-InCulture 'fr-FR' { Get-Failure $run }
        $pe.Exception.Message | Should -BeLike "*no existe en el servidor*"
        $fr.Exception.Message | Should -BeLike "*does not exist on the server*"
        $pe.FullyQualifiedErrorId | Should -Be $fr.FullyQualifiedErrorId
    }

    It 'nothing is left on disk by the refused dump' {
        $d = New-TestDirectory 'mc-left'
        $e = Invoke-InCulture 'es-ES' { Get-Failure { New-CenateDump @P -CriticalTable no_hay_tal -Path $d } }
        $e.FullyQualifiedErrorId | Should -Be (& $Fqid 'TableNotFound')
        Assert-NoFiles $d
        Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'A child pwsh started with LANG=es_PE.UTF-8' {
    It 'reads $PSUICulture from LANG and gets the Spanish message with the same error id' {
        $script = @"
Import-Module '$(Get-ModuleManifestPath)'
`$PSUICulture
try { New-CenateDump -Container cenate_msgcore_nosuch -Path /tmp/cenate-msgcore-never }
catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message; `$_.ErrorDetails.RecommendedAction }
"@
        $pwsh = (Get-Command pwsh -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
        $psi = [Diagnostics.ProcessStartInfo]::new($pwsh)
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $script) { $psi.ArgumentList.Add($a) }
        foreach ($v in 'LC_ALL', 'LC_MESSAGES', 'LANGUAGE') { $null = $psi.Environment.Remove($v) }
        $psi.Environment['LANG'] = 'es_PE.UTF-8'
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
        $proc = [Diagnostics.Process]::Start($psi)
        $out = $proc.StandardOutput.ReadToEnd(); $err = $proc.StandardError.ReadToEnd()
        $proc.WaitForExit()
        $lines = @($out -split "`n" | ForEach-Object TrimEnd | Where-Object { $_ })
        $lines[0] | Should -Be 'es-PE' -Because $err
        $lines[1] | Should -Be (& $Fqid 'ContainerNotFound')
        $lines[2] | Should -BeLike "El contenedor Docker 'cenate_msgcore_nosuch' no existe*"
        $lines[2] | Should -Not -Match 'the default Docker endpoint'
        $lines[2] | Should -Not -Match 'does not exist'
        $lines[3] | Should -BeLike '*Revise el nombre*'
        Test-Path /tmp/cenate-msgcore-never | Should -BeFalse
    }
}

Describe 'A warning and a progress text of New-CenateDump' {
    It 'come in Spanish under es-ES and in English under en-US' {
        $results = foreach ($culture in 'es-ES', 'en-US') {
            $d = New-TestDirectory "mc-warn-$culture"
            $job = Invoke-InBackground -Script {
                param($Culture, $P, $Path)
                [cultureinfo]::CurrentUICulture = $Culture
                $ProgressPreference = 'Continue'
                New-CenateDump @P -Path $Path
            } -Arguments @{ Culture = $culture; P = $P; Path = $d }
            try {
                $set = $job.PowerShell.EndInvoke($job.Handle)
                [pscustomobject]@{
                    Culture  = $culture
                    Set      = $set
                    Errors   = @($job.PowerShell.Streams.Error)
                    Warnings = @($job.PowerShell.Streams.Warning | ForEach-Object Message)
                    Progress = @($job.PowerShell.Streams.Progress | ForEach-Object StatusDescription)
                }
            } finally {
                $job.PowerShell.Dispose()
                Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue
            }
        }
        $es, $en = $results
        foreach ($r in $results) {
            $r.Errors | Should -BeNullOrEmpty
            @($r.Set).Count | Should -Be 1 -Because 'the dump itself succeeds'
        }
        $es.Warnings | Should -Contain ("La tabla crítica 'asegurados' no existe en la base de datos '$Db': " +
            'su conteo de filas no queda registrado.')
        $en.Warnings | Should -Contain ("Critical table 'asegurados' does not exist in database '$Db': " +
            'its row count is not recorded.')
        $es.Progress | Should -Contain 'Contando filas en la instantánea'
        $en.Progress | Should -Contain 'Counting rows in the snapshot'
        $es.Progress | Should -Not -Contain 'Counting rows in the snapshot'
    }
}

Describe 'Messages that misled (issue 17 §1)' {
    It 'a random binary .dump is called binary data, not text, in both languages; a CSV renamed .dump is text' {
        $d = New-TestDirectory 'mc-bin'
        New-Item -ItemType Directory -Path $d | Out-Null
        try {
            $bin = Join-Path $d "maestro_cenate_20260101_000000.dump"
            $bytes = [byte[]]::new(4096); [Random]::new(5).NextBytes($bytes)
            [Text.Encoding]::ASCII.GetBytes('Zq7wX').CopyTo($bytes, 0)   # a printable start, as text would have
            [IO.File]::WriteAllBytes($bin, $bytes)
            $csv = Join-Path $d "maestro_cenate_20260102_000000.dump"
            [IO.File]::WriteAllText($csv, "tipo_documento,numero,apellidos`nDNI,12345678,PÉREZ`n")
            $en = Invoke-InCulture 'en-US' { Test-CenateBackup -Path $bin, $csv -WarningAction SilentlyContinue }
            $es = Invoke-InCulture 'es-ES' { Test-CenateBackup -Path $bin, $csv -WarningAction SilentlyContinue }
            $enBin, $enCsv = $en; $esBin, $esCsv = $es
            foreach ($r in $en + $es) { $r.Passed | Should -BeFalse }
            ($enBin.Problems -join ' ') | Should -Match 'binary data, not text'
            ($enBin.Problems -join ' ') | Should -Match 'not PGDMP'
            ($enBin.Problems -join ' ') | Should -Not -Match 'looks like text'
            ($enCsv.Problems -join ' ') | Should -Match 'looks like text'
            ($esBin.Problems -join ' ') | Should -Match 'son datos binarios, no texto'
            ($esCsv.Problems -join ' ') | Should -Match 'parece texto'
        } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
    }

    Context 'a session the server ends in the middle of a COPY' {
        BeforeAll {
            # Enough data (about 200 MB, far more than the socket and client buffers hold) that the COPY is still
            # streaming when its session is terminated: with 50 MB a fast server had sent it all and the export ended
            # cleanly before the termination reached it.
            Invoke-Psql -Database $Db -Sql ("CREATE TABLE public.grande AS " +
                "SELECT g AS id, repeat(md5(g::text), 6) AS v FROM generate_series(1, 1000000) g") | Out-Null
        }

        It 'says that the server ended the session (not "read past the end of the stream"), in Spanish; no file' {
            $d = New-TestDirectory 'mc-term'
            try {
                $job = Invoke-InBackground -Script {
                    param($P, $Path)
                    [cultureinfo]::CurrentUICulture = 'es-ES'
                    try { Export-CenateAseguradosCsv @P -Table grande -Path $Path -CompressionLevel 9 } catch { $_ }
                } -Arguments @{ P = $P; Path = $d }
                $null = Wait-ForFile -Directory $d -Filter '*.partial' -MinimumSize 1
                Invoke-Psql -Sql ("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity " +
                    "WHERE datname = '$Db' " +
                    "AND application_name = 'CenateBackup' AND query LIKE 'COPY%'") | Should -Be '1'
                $caught = $job.PowerShell.EndInvoke($job.Handle) | Select-Object -First 1
                $job.PowerShell.Dispose()
                $caught | Should -BeOfType ([System.Management.Automation.ErrorRecord])
                $caught.FullyQualifiedErrorId | Should -Be (& $Fqid 'ConnectionLost' 'ExportCenateAseguradosCsvCommand')
                $caught.CategoryInfo.Category | Should -Be 'ConnectionError'
                $caught.Exception.Message | Should -Match 'terminó la sesión'
                $caught.Exception.Message | Should -Not -Match 'past the end|read past'
                $caught.ErrorDetails.RecommendedAction | Should -Match 'log del servidor'
                Assert-NoFiles $d
            } finally { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue }
        }
    }
}
