#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Initialize-CenateOffsiteTarget on a real tmpfs mount (made here; the tests run as root) and on the root file system,
# where /tmp is: marker content and mode, a second run, another label, -WhatIf, an unmounted disk.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ModuleManifestPath) -Force
    $script:Fq = { param($id) "$id,CenateBackup.PowerShell.Commands.InitializeCenateOffsiteTargetCommand" }
    $script:Root = Join-Path '/tmp' ("cenate-offsite-pester-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:Usb = Join-Path $Root 'backup-externo'
    $script:Bare = Join-Path $Root 'not-mounted'
    New-Item -ItemType Directory -Path $Usb, $Bare | Out-Null
    & mount -t tmpfs -o size=4m tmpfs $Usb
    if ($LASTEXITCODE -ne 0) { throw "mount -t tmpfs on $Usb failed (exit $LASTEXITCODE): these tests need root" }
    function script:Get-Fresh {
        param([string]$Under)
        Join-Path $Under ('t-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }
    function script:Get-Mode { param([string]$Path) [int]([IO.File]::GetUnixFileMode($Path)) }
}

AfterAll {
    & umount $Usb 2>$null
    if ($LASTEXITCODE -ne 0) { & umount -l $Usb }
    Remove-Item -Recurse -Force -LiteralPath $Root -ErrorAction SilentlyContinue
}

Describe 'Initialize-CenateOffsiteTarget' {
    It 'creates the directory 0700 on the mounted disk and writes the marker 0600 once' {
        $dir = Join-Path (Get-Fresh $Usb) 'cenate'
        $t = Initialize-CenateOffsiteTarget -Destination $dir -Label usb-a -RequireMountPoint $Usb
        $t | Should -BeOfType ([CenateBackup.PowerShell.Output.CenateOffsiteTarget])
        $t.Path | Should -Be $dir
        $t.Label | Should -Be 'usb-a'
        $t.MountPoint | Should -Be $Usb
        $t.FileSystemType | Should -Be 'tmpfs'
        $t.FreeBytes | Should -BeGreaterThan 0
        $t.FreeBytes | Should -BeLessOrEqual 4MB
        $t.Id | Should -Not -Be ([guid]::Empty)
        Get-Mode $dir | Should -Be 448      # 0700
        Get-Mode (Split-Path $dir) | Should -Be 448
        $marker = Join-Path $dir '.cenate-offsite.json'
        Get-Mode $marker | Should -Be 384   # 0600
        @(Get-ChildItem -Force -LiteralPath $dir).Name | Should -Be @('.cenate-offsite.json')
        $json = Get-Content -Raw -LiteralPath $marker | ConvertFrom-Json
        $json.id | Should -Be $t.Id.ToString()
        $json.label | Should -Be 'usb-a'
        $json.createdOn | Should -Be ([Environment]::MachineName)
        $json.tool | Should -BeLike 'CenateBackup*'
        ([DateTimeOffset]$json.createdAt - [DateTimeOffset]::UtcNow).Duration().TotalMinutes | Should -BeLessThan 5
    }

    It 'is harmless the second time (same label or none) and refuses another label' {
        $dir = Get-Fresh $Usb
        $first = Initialize-CenateOffsiteTarget $dir -Label usb-a
        $bytes = [IO.File]::ReadAllBytes((Join-Path $dir '.cenate-offsite.json'))
        (Initialize-CenateOffsiteTarget $dir -Label usb-a).Id | Should -Be $first.Id
        (Initialize-CenateOffsiteTarget $dir).Label | Should -Be 'usb-a'
        $err = { Initialize-CenateOffsiteTarget $dir -Label usb-b } |
            Should -Throw -ErrorId (& $Fq 'TargetAlreadyInitialized') -PassThru
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        $err.TargetObject | Should -Be $dir
        [IO.File]::ReadAllBytes((Join-Path $dir '.cenate-offsite.json')) | Should -Be $bytes
    }

    It 'gives a new label of its own when none is given' {
        $t = Initialize-CenateOffsiteTarget (Get-Fresh $Usb)
        $t.Label | Should -Match '^disk-[0-9a-f]{8}$'
    }

    It '-WhatIf writes nothing' {
        $dir = Join-Path (Get-Fresh $Usb) 'cenate'
        Initialize-CenateOffsiteTarget $dir -Label usb-a -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Split-Path $dir) | Should -BeFalse
        $existing = Get-Fresh $Usb
        New-Item -ItemType Directory $existing | Out-Null
        Initialize-CenateOffsiteTarget $existing -Label usb-a -WhatIf | Should -BeNullOrEmpty
        @(Get-ChildItem -Force -LiteralPath $existing).Count | Should -Be 0
    }

    It 'refuses an unmounted disk (the bare mount point on the system disk) and writes nothing' {
        $dir = Join-Path $Bare 'cenate'
        $err = { Initialize-CenateOffsiteTarget $dir -Label usb-a } |
            Should -Throw -ErrorId (& $Fq 'TargetNotMounted') -PassThru
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        Test-Path -LiteralPath $dir | Should -BeFalse
        # The bare directory itself exists on the system disk: refused too.
        { Initialize-CenateOffsiteTarget $Bare -Label usb-a } | Should -Throw -ErrorId (& $Fq 'TargetNotMounted')
        @(Get-ChildItem -Force -LiteralPath $Bare).Count | Should -Be 0
    }

    It 'refuses a target that is not on -RequireMountPoint' {
        $dir = Get-Fresh $Usb
        { Initialize-CenateOffsiteTarget $dir -Label usb-a -RequireMountPoint $Bare } |
            Should -Throw -ErrorId (& $Fq 'TargetNotMounted')
        Test-Path -LiteralPath $dir | Should -BeFalse
        (Initialize-CenateOffsiteTarget $dir -Label usb-a -RequireMountPoint "$Usb/").MountPoint | Should -Be $Usb
    }

    It 'refuses a bad label and a bare-number timeout at the boundary' {
        $Cmd = 'CenateBackup.PowerShell.Commands.InitializeCenateOffsiteTargetCommand'
        { Initialize-CenateOffsiteTarget (Get-Fresh $Usb) -Label '../x' -ErrorAction Stop } |
            Should -Throw -ErrorId ('ParameterArgumentValidationError,' + $Cmd)
        { Initialize-CenateOffsiteTarget (Get-Fresh $Usb) -Timeout 10 -ErrorAction Stop } |
            Should -Throw -ErrorId ('ParameterArgumentTransformationError,' + $Cmd)
    }
}
