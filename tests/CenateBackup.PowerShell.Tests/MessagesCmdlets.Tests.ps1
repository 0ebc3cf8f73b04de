#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The texts a person reads come from resources: under an es-* UI culture the cmdlet layer, offsite and retention speak
# Spanish, under en-US English, and the FullyQualifiedErrorId is the same in both (scripts match on it). Real cmdlets,
# real directories, a real tmpfs mount for the offsite target, a real failed verification for retention, and once a
# child pwsh started with LANG=es_PE.UTF-8 (the way the admins' servers are set up).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id, $cmd) "$id,CenateBackup.PowerShell.Commands.$cmd" }
    $script:SavedUi = [cultureinfo]::CurrentUICulture
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ('cenate-msgs-lc-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Root | Out-Null
    $script:Mounted = $null

    function Get-ErrorIn {
        # The error $Script raises under $Culture; fails the test when it raises none.
        param([string]$Culture, [scriptblock]$Script)
        $saved = [cultureinfo]::CurrentUICulture
        try {
            [cultureinfo]::CurrentUICulture = $Culture
            $errs = @()
            try { $null = & $Script -ErrorAction Stop } catch { $errs += $_ }
            if ($errs.Count -eq 0) { throw "no error was raised under $Culture" }
            $errs[0]
        } finally { [cultureinfo]::CurrentUICulture = $saved }
    }

    function Get-Text([System.Management.Automation.ErrorRecord]$Record) {
        # What the admin sees: ErrorDetails when the cmdlet set them, else the exception's message.
        if ($Record.ErrorDetails -and $Record.ErrorDetails.Message) { $Record.ErrorDetails.Message } else { $Record.Exception.Message }
    }
}

AfterAll {
    [cultureinfo]::CurrentUICulture = $script:SavedUi
    if ($script:Mounted) { & umount $script:Mounted 2>$null; if ($LASTEXITCODE -ne 0) { & umount -l $script:Mounted 2>$null } }
    Remove-Item -LiteralPath $script:Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Parameter validation speaks the reader''s language' {
    It 'a bare number for a duration: same id, Spanish under es-ES, English under en-US' {
        $es = Get-ErrorIn 'es-ES' { Remove-CenateOldBackup -Path $Root -LockTimeout 45 -WhatIf }
        $en = Get-ErrorIn 'en-US' { Remove-CenateOldBackup -Path $Root -LockTimeout 45 -WhatIf }
        $id = & $Fq 'ParameterArgumentTransformationError' 'RemoveCenateOldBackupCommand'
        $es.FullyQualifiedErrorId | Should -Be $id
        $en.FullyQualifiedErrorId | Should -Be $id
        $es.Exception.Message | Should -BeLike "*45 es un número sin unidad*'45s' para segundos (entre comillas)*"
        $es.Exception.Message | Should -Not -BeLike '*is a bare number*'
        $en.Exception.Message | Should -BeLike "*45 is a bare number; a duration needs a unit*'45s' for seconds (quoted)*"
    }

    It 'an unquoted 180d (PowerShell''s decimal) says in Spanish why the unit was lost' {
        $es = Get-ErrorIn 'es-ES' { Remove-CenateOldBackup -Path $Root -MaxNewestAge 180d -WhatIf }
        $es.FullyQualifiedErrorId | Should -Be (& $Fq 'ParameterArgumentTransformationError' 'RemoveCenateOldBackupCommand')
        $es.Exception.Message | Should -BeLike '*sin comillas, PowerShell lee 180d como el número decimal 180*'
    }

    It 'a duration out of range and a text without unit' {
        $es = Get-ErrorIn 'es-ES' { Initialize-CenateOffsiteTarget -Destination $Root -Timeout '2h' -WhatIf }
        $es.FullyQualifiedErrorId | Should -Be (& $Fq 'ParameterArgumentValidationError' 'InitializeCenateOffsiteTargetCommand')
        $es.Exception.Message | Should -BeLike '*La duración 02:00:00 está fuera de rango: indique al menos 00:00:01 y como máximo 01:00:00*'
        $en = Get-ErrorIn 'en-US' { Initialize-CenateOffsiteTarget -Destination $Root -Timeout 'soon' -WhatIf }
        $en.Exception.Message | Should -BeLike "*'soon' is not a duration: it needs a unit*"
        $es = Get-ErrorIn 'es-ES' { Initialize-CenateOffsiteTarget -Destination $Root -Timeout 'soon' -WhatIf }
        $es.Exception.Message | Should -BeLike "*'soon' no es una duración: necesita una unidad*"
    }

    It 'an alert-validation error: a bad thumbprint and a non-http webhook' {
        $id = & $Fq 'ParameterArgumentValidationError' 'SendCenateAlertCommand'
        $es = Get-ErrorIn 'es-ES' { Send-CenateAlert -Job lc -CertificateThumbprint 'zz' -WhatIf }
        $en = Get-ErrorIn 'en-US' { Send-CenateAlert -Job lc -CertificateThumbprint 'zz' -WhatIf }
        $es.FullyQualifiedErrorId | Should -Be $id
        $en.FullyQualifiedErrorId | Should -Be $id
        $es.Exception.Message | Should -BeLike "*'zz' no es una huella digital de certificado*"
        $en.Exception.Message | Should -BeLike "*'zz' is not a certificate thumbprint*"
        $es = Get-ErrorIn 'es-ES' { Send-CenateAlert -Job lc -WebhookUri 'ftp://example.invalid/secret' -WhatIf }
        $es.FullyQualifiedErrorId | Should -Be $id
        $es.Exception.Message | Should -BeLike '*La URI debe ser una URI absoluta http:// o https://*'
        $es.Exception.Message | Should -Not -BeLike '*secret*'
    }

    It 'an ErrorRecord built in the cmdlet (-Live without a threshold) and a broken settings file' {
        $es = Get-ErrorIn 'es-ES' { Test-CenateBackup -Path $Root -Live }
        $en = Get-ErrorIn 'en-US' { Test-CenateBackup -Path $Root -Live }
        $es.FullyQualifiedErrorId | Should -Be (& $Fq 'LiveNeedsThreshold' 'TestCenateBackupCommand')
        $en.FullyQualifiedErrorId | Should -Be $es.FullyQualifiedErrorId
        $es.Exception.Message | Should -BeLike '*indique también un umbral*'
        $en.Exception.Message | Should -BeLike '*give a threshold too*'

        $bad = Join-Path $Root 'broken.psd1'
        Set-Content -LiteralPath $bad -Value "@{ RowDrop = @{ asegurados = '2%' "
        & chmod 600 $bad
        $es = Get-ErrorIn 'es-ES' { Remove-CenateOldBackup -Path $Root -Settings $bad -WhatIf }
        $en = Get-ErrorIn 'en-US' { Remove-CenateOldBackup -Path $Root -Settings $bad -WhatIf }
        $es.FullyQualifiedErrorId | Should -Be (& $Fq 'SettingsInvalid' 'RemoveCenateOldBackupCommand')
        $en.FullyQualifiedErrorId | Should -Be $es.FullyQualifiedErrorId
        (Get-Text $es) | Should -BeLike "Archivo de configuración $bad*: no es un archivo de datos de PowerShell válido*(línea *"
        $es.ErrorDetails.RecommendedAction | Should -BeLike 'Corrija el archivo de configuración*'
        (Get-Text $en) | Should -BeLike "The settings $bad*: it is not valid PowerShell data*(line *"
    }
}

Describe 'Offsite errors, warnings and progress in Spanish' {
    BeforeAll {
        $script:Src = Join-Path $Root 'src'
        New-Item -ItemType Directory -Path $Src | Out-Null
        $script:Good = New-FakeSet -Dir $Src -DaysAgo 0.2
        $script:Unverified = New-FakeSet -Dir $Src -DaysAgo 0.4 -Unverified
    }

    It 'a target on the root file system is refused (TargetNotMounted) with a Spanish message and action; nothing is made' {
        $dest = Join-Path $Root 'usb-not-mounted'
        $es = Get-ErrorIn 'es-ES' { Initialize-CenateOffsiteTarget -Destination $dest -Label disco-a -Confirm:$false }
        $en = Get-ErrorIn 'en-US' { Initialize-CenateOffsiteTarget -Destination $dest -Label disco-a -Confirm:$false }
        $es.FullyQualifiedErrorId | Should -Be (& $Fq 'TargetNotMounted' 'InitializeCenateOffsiteTargetCommand')
        $en.FullyQualifiedErrorId | Should -Be $es.FullyQualifiedErrorId
        (Get-Text $es) | Should -BeLike "Se rechaza el destino externo '$dest': no existe y*sistema de archivos raíz: el disco no está montado. No se escribió nada*"
        $es.ErrorDetails.RecommendedAction | Should -BeLike 'Monte el disco de copias*findmnt*'
        (Get-Text $en) | Should -BeLike "The offsite target '$dest' is refused: it does not exist*root file system: the disk is not mounted*"
        $en.ErrorDetails.RecommendedAction | Should -BeLike 'Mount the backup disk*'
        Test-Path -LiteralPath $dest | Should -BeFalse
    }

    It 'the same directory on both sides is refused (OffsiteRouteNotSupported)' {
        $es = Get-ErrorIn 'es-ES' { Sync-CenateOffsite -Path $Src -Destination $Src }
        $en = Get-ErrorIn 'en-US' { Sync-CenateOffsite -Path $Src -Destination $Src }
        $es.FullyQualifiedErrorId | Should -Be (& $Fq 'OffsiteRouteNotSupported' 'SyncCenateOffsiteCommand')
        $en.FullyQualifiedErrorId | Should -Be $es.FullyQualifiedErrorId
        (Get-Text $es) | Should -Be "-Path y -Destination son el mismo directorio ($Src)."
        (Get-Text $en) | Should -Be "-Path and -Destination are the same directory ($Src)."
    }

    Context 'to a real mounted target' {
        BeforeAll {
            $script:Target = Join-Path $Root 'usb'
            New-Item -ItemType Directory -Path $Target | Out-Null
            $out = & mount -t tmpfs -o 'size=16m,mode=0700' tmpfs $Target 2>&1
            if ($LASTEXITCODE -ne 0) { throw "mount at $Target failed (the tests need root and mount): $out" }
            $script:Mounted = $Target
            Initialize-CenateOffsiteTarget -Destination $Target -Label disco-lc -Confirm:$false | Out-Null
        }

        It 'an unverified set asked for by stamp is refused with a Spanish reason; nothing is copied' {
            $es = Get-ErrorIn 'es-ES' { Sync-CenateOffsite -Path $Src -Destination $Target -Stamp $Unverified.Stamp }
            $en = Get-ErrorIn 'en-US' { Sync-CenateOffsite -Path $Src -Destination $Target -Stamp $Unverified.Stamp }
            $es.FullyQualifiedErrorId | Should -Be (& $Fq 'OffsiteSourceNotVerified' 'SyncCenateOffsiteCommand')
            $en.FullyQualifiedErrorId | Should -Be $es.FullyQualifiedErrorId
            $name = Split-Path -Leaf $Unverified.Manifest
            (Get-Text $es) | Should -Be "El conjunto $name no está verificado en $Src."
            $es.ErrorDetails.RecommendedAction | Should -BeLike 'Ejecute primero Test-CenateBackup -Path *'
            (Get-Text $en) | Should -Be "Set $name is not verified at $Src."
            @(Get-ChildItem -LiteralPath $Target -Filter '*.dump') | Should -HaveCount 0
        }

        It 'a wrong label is refused (TargetMarkerMismatch) naming the label found, in Spanish' {
            $es = Get-ErrorIn 'es-ES' { Sync-CenateOffsite -Path $Src -Destination $Target -Label otro-disco, tercero -Stamp $Good.Stamp }
            $es.FullyQualifiedErrorId | Should -Be (& $Fq 'TargetMarkerMismatch' 'SyncCenateOffsiteCommand')
            (Get-Text $es) | Should -BeLike "*su marcador dice 'disco-lc' (id *); se esperaba 'otro-disco' o 'tercero'. No se escribió nada."
            @(Get-ChildItem -LiteralPath $Target -Filter '*.dump') | Should -HaveCount 0
        }

        It 'progress and a warning come out in Spanish (copy of a verified set; a damaged manifest beside it)' {
            $damaged = Join-Path $Src 'maestro_cenate_20200101_000000.manifest.json'
            Set-Content -LiteralPath $damaged -Value '{ not json'
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript({
                        param($Manifest, $Src, $Target, $Stamp)
                        Import-Module $Manifest
                        [cultureinfo]::CurrentUICulture = 'es-ES'
                        $ProgressPreference = 'Continue'
                        Sync-CenateOffsite -Path $Src -Destination $Target -Stamp $Stamp
                    }).AddArgument((Get-ModuleManifestPath)).AddArgument($Src).AddArgument($Target).AddArgument($Good.Stamp)
                $out = $ps.Invoke()
                $ps.Streams.Error | Should -HaveCount 0
                $out.Status | Should -Be 'Copied'
                $statuses = @($ps.Streams.Progress | ForEach-Object StatusDescription)
                $statuses | Where-Object { $_ -like 'Copiando *' } | Should -Not -BeNullOrEmpty
                $statuses | Where-Object { $_ -like 'Copying *' } | Should -BeNullOrEmpty
                @($ps.Streams.Warning | Where-Object { $_.Message -like '*Ese conjunto no se copia.' }) | Should -HaveCount 1
            } finally {
                $ps.Dispose()
                Remove-Item -LiteralPath $damaged -Force
            }
            Test-Path -LiteralPath (Join-Path $Target (Split-Path -Leaf $Good.Manifest)) | Should -BeTrue
        }
    }
}

Describe 'Retention tells a failed verification from one that never happened' {
    BeforeAll {
        $script:Ret = Join-Path $Root 'retention'
        $script:Failed = New-FakeSet -Dir $Ret -DaysAgo 40
        $script:Never = New-FakeSet -Dir $Ret -DaysAgo 41 -Unverified
        1..3 | ForEach-Object { New-FakeSet -Dir $Ret -DaysAgo (0.1 * $_) | Out-Null }
        # A real failed verification: one byte of the dump flipped, then Test-CenateBackup records the failure.
        $bytes = [IO.File]::ReadAllBytes($Failed.Dump)
        $bytes[10] = $bytes[10] -bxor 0xFF
        [IO.File]::WriteAllBytes($Failed.Dump, $bytes)
        $script:Check = Test-CenateBackup -Path $Failed.Manifest -Level Checksum -ErrorAction SilentlyContinue
    }

    It 'the manifest really records a failed verification' {
        $Check.Passed | Should -BeFalse
        $m = Get-Content -LiteralPath $Failed.Manifest -Raw | ConvertFrom-Json
        $m.verification.passed | Should -BeFalse
        $m.verification.problems[0] | Should -BeLike 'ChecksumMismatch*'
    }

    It 'the decision says its verification failed, when and the first problem, not never verified' {
        $saved = [cultureinfo]::CurrentUICulture
        try {
            [cultureinfo]::CurrentUICulture = 'en-US'
            $plan = @(Remove-CenateOldBackup -Path $Ret -WhatIf)
        } finally { [cultureinfo]::CurrentUICulture = $saved }
        $failedDecision = $plan | Where-Object Stamp -eq $Failed.Stamp
        $neverDecision = $plan | Where-Object Stamp -eq $Never.Stamp
        $failedDecision.Rule | Should -Be 'Expired'
        $failedDecision.Action | Should -Be 'WouldRemove'
        $at = ([datetimeoffset](Get-Content -LiteralPath $Failed.Manifest -Raw | ConvertFrom-Json).verification.at).UtcDateTime.ToString('yyyy-MM-dd HH:mm')
        $failedDecision.Reason | Should -BeLike "40* days old, outside every window; its verification failed on $at UTC: ChecksumMismatch: *"
        $failedDecision.Reason | Should -Not -BeLike '*never verified*'
        $neverDecision.Reason | Should -BeLike '*never verified*'
        $neverDecision.Reason | Should -Not -BeLike '*failed*'
        Test-Path -LiteralPath $Failed.Dump | Should -BeTrue
    }

    It 'in Spanish too, and the damaged-manifest warning of the run' {
        $damaged = Join-Path $Ret 'maestro_cenate_20200101_000000.manifest.json'
        Set-Content -LiteralPath $damaged -Value '{ not json'
        $saved = [cultureinfo]::CurrentUICulture
        try {
            [cultureinfo]::CurrentUICulture = 'es-ES'
            $plan = @(Remove-CenateOldBackup -Path $Ret -WhatIf -WarningVariable w 3>$null)
        } finally {
            [cultureinfo]::CurrentUICulture = $saved
            Remove-Item -LiteralPath $damaged -Force
        }
        ($plan | Where-Object Stamp -eq $Failed.Stamp).Reason | Should -BeLike 'tiene 40* días, fuera de todas las ventanas de retención; su verificación falló el * UTC: ChecksumMismatch*'
        ($plan | Where-Object Stamp -eq $Never.Stamp).Reason | Should -BeLike 'tiene 41* días y nunca se verificó*'
        @($w | Where-Object { "$_" -like '*Sus archivos no se tocan.' }) | Should -HaveCount 1
    }
}

Describe 'A child pwsh started with LANG=es_PE.UTF-8' {
    It 'reports $PSUICulture es-PE, the same error id and a Spanish message' {
        $pwsh = Join-Path $PSHOME 'pwsh'
        $script = @"
Import-Module '$(Get-ModuleManifestPath)'
`$e = `$null
try { Remove-CenateOldBackup -Path '$Root' -LockTimeout 45 -WhatIf } catch { `$e = `$_ }
`$PSUICulture
`$e.FullyQualifiedErrorId
`$e.Exception.Message
"@
        $saved = @{ LANG = $env:LANG; LC_ALL = $env:LC_ALL; LC_MESSAGES = $env:LC_MESSAGES }
        try {
            $env:LANG = 'es_PE.UTF-8'; $env:LC_ALL = $null; $env:LC_MESSAGES = $null
            $lines = @(& $pwsh -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" })
        } finally {
            $env:LANG = $saved.LANG; $env:LC_ALL = $saved.LC_ALL; $env:LC_MESSAGES = $saved.LC_MESSAGES
        }
        $lines[0] | Should -Be 'es-PE'
        $lines[1] | Should -Be (& $Fq 'ParameterArgumentTransformationError' 'RemoveCenateOldBackupCommand')
        ($lines[2..($lines.Count - 1)] -join ' ') | Should -BeLike '*45 es un número sin unidad*'
    }
}
