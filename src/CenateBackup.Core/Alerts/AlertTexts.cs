using System.Globalization;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// The words of an alert in one language. Spanish for any "es*" culture, English for every other: the admins of the
/// plan read Spanish, their tools (and most search results for an error id) English. Tables in C#, not resx: two
/// languages and one assembly, no satellite assemblies to lose in the load context.
/// </summary>
public sealed record AlertTexts
{
    /// <summary>Two-letter language.</summary>
    public required string Language { get; init; }
    /// <summary>State word for a failed run.</summary>
    public required string Failed { get; init; }
    /// <summary>State word for a successful run.</summary>
    public required string Ok { get; init; }
    /// <summary>State word for a success after a failure.</summary>
    public required string Recovered { get; init; }
    /// <summary>State word for a test message.</summary>
    public required string Test { get; init; }
    /// <summary>Subject prefix of a delayed alert; {0} is the time it was queued.</summary>
    public required string DelayedFrom { get; init; }
    /// <summary>Headline of a test message.</summary>
    public required string TestHeadline { get; init; }
    /// <summary>Headline of a success with backups: {0} sets, newest {1}.</summary>
    public required string SetsHeadline { get; init; }
    /// <summary>Headline of a success without backups: {0} items.</summary>
    public required string ItemsHeadline { get; init; }
    /// <summary>Headline of a run that reported nothing.</summary>
    public required string NothingHeadline { get; init; }
    /// <summary>"(+{0} more)".</summary>
    public required string More { get; init; }
    /// <summary>Label: host.</summary>
    public required string Host { get; init; }
    /// <summary>Label: job.</summary>
    public required string Job { get; init; }
    /// <summary>Label: started.</summary>
    public required string Started { get; init; }
    /// <summary>Label: ended.</summary>
    public required string Ended { get; init; }
    /// <summary>Label: state.</summary>
    public required string State { get; init; }
    /// <summary>Label: change.</summary>
    public required string Change { get; init; }
    /// <summary>Change words: New, Same, Failed, Recovered.</summary>
    public required string[] Changes { get; init; }
    /// <summary>Section: what failed.</summary>
    public required string WhatFailed { get; init; }
    /// <summary>Section: what was checked.</summary>
    public required string Checked { get; init; }
    /// <summary>Section: last good backup.</summary>
    public required string LastGood { get; init; }
    /// <summary>No good backup known.</summary>
    public required string NoneKnown { get; init; }
    /// <summary>Section: what to do next.</summary>
    public required string WhatNext { get; init; }
    /// <summary>Advice for a failed run without a specific next step.</summary>
    public required string AdviceFailure { get; init; }
    /// <summary>Advice for a successful run.</summary>
    public required string AdviceSuccess { get; init; }
    /// <summary>Explanation of a test message.</summary>
    public required string TestBody { get; init; }
    /// <summary>Label: error id.</summary>
    public required string ErrorId { get; init; }
    /// <summary>Label: next step.</summary>
    public required string NextStep { get; init; }
    /// <summary>Label: size.</summary>
    public required string Size { get; init; }
    /// <summary>Label: age.</summary>
    public required string Age { get; init; }
    /// <summary>Label: last success.</summary>
    public required string LastSuccess { get; init; }
    /// <summary>Label: last failure.</summary>
    public required string LastFailure { get; init; }
    /// <summary>"never".</summary>
    public required string Never { get; init; }
    /// <summary>Status words: Ok, Warning, Failed.</summary>
    public required string[] Statuses { get; init; }

    /// <summary>English.</summary>
    public static AlertTexts English { get; } = new()
    {
        Language = "en", Failed = "FAILED", Ok = "OK", Recovered = "RECOVERED", Test = "TEST",
        DelayedFrom = "(delayed from {0})", TestHeadline = "test message from Send-CenateAlert",
        SetsHeadline = "{0} sets, newest {1}", ItemsHeadline = "{0} items checked, nothing failed",
        NothingHeadline = "nothing was reported", More = "(+{0} more)",
        Host = "Host", Job = "Job", Started = "Started", Ended = "Ended", State = "State", Change = "Change",
        Changes = new[] { "first run", "same as last run", "failed (was OK)", "recovered (was failing)" },
        WhatFailed = "What failed", Checked = "Checked", LastGood = "Last good backup", NoneKnown = "none known",
        WhatNext = "What to do next",
        AdviceFailure = "Read the error above, fix the cause, then run the job again by hand "
            + "and check that it ends OK.",
        AdviceSuccess = "Nothing to do.",
        TestBody = "This is a test of the alert channels of CenateBackup. No backup was checked.",
        ErrorId = "error id", NextStep = "next step", Size = "size", Age = "age",
        LastSuccess = "Last success", LastFailure = "Last failure", Never = "never",
        Statuses = new[] { "OK", "WARNING", "FAILED" },
    };

    /// <summary>Spanish.</summary>
    public static AlertTexts Spanish { get; } = new()
    {
        Language = "es", Failed = "FALLÓ", Ok = "CORRECTO", Recovered = "RECUPERADO", Test = "PRUEBA",
        DelayedFrom = "(retrasado desde {0})", TestHeadline = "mensaje de prueba de Send-CenateAlert",
        SetsHeadline = "{0} copias, la más reciente {1}", ItemsHeadline = "{0} elementos revisados, nada falló",
        NothingHeadline = "no se informó nada", More = "(+{0} más)",
        Host = "Servidor", Job = "Tarea", Started = "Inicio", Ended = "Fin", State = "Estado", Change = "Cambio",
        Changes = new[] { "primera ejecución", "igual que la anterior", "falló (antes correcto)",
            "recuperado (antes fallaba)" },
        WhatFailed = "Qué falló", Checked = "Revisado", LastGood = "Última copia buena",
        NoneKnown = "ninguna conocida",
        WhatNext = "Qué hacer ahora",
        AdviceFailure = "Lea el error de arriba, corrija la causa y ejecute la tarea de nuevo a mano "
            + "hasta que termine correctamente.",
        AdviceSuccess = "No hay nada que hacer.",
        TestBody = "Esta es una prueba de los canales de alerta de CenateBackup. No se revisó ninguna copia.",
        ErrorId = "id de error", NextStep = "siguiente paso", Size = "tamaño", Age = "antigüedad",
        LastSuccess = "Último éxito", LastFailure = "Último fallo", Never = "nunca",
        Statuses = new[] { "CORRECTO", "AVISO", "FALLÓ" },
    };

    /// <summary>Spanish for "es", "es-PE", "es-ES"…; English for everything else (the invariant culture
    /// too).</summary>
    public static AlertTexts For(CultureInfo? culture) =>
        culture is not null && culture.TwoLetterISOLanguageName.Equals("es", System.StringComparison.OrdinalIgnoreCase)
            ? Spanish : English;
}
